from hoplint_checkov.hoplint_checks import RULES, HoplintCheck


class TaskAclAllowsAlb(HoplintCheck):
    rule = RULES["HOP603"]


check = TaskAclAllowsAlb()

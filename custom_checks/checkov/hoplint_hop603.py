from hoplint_checkov_adapter import RULES, HoplintCheck


class TaskAclAllowsAlb(HoplintCheck):
    rule = RULES["HOP603"]


check = TaskAclAllowsAlb()

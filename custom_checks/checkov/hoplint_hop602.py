from hoplint_checkov.hoplint_checks import RULES, HoplintCheck


class AlbAclAllowsTargets(HoplintCheck):
    rule = RULES["HOP602"]


check = AlbAclAllowsTargets()

from hoplint_checkov_adapter import RULES, HoplintCheck


class AlbAclAllowsTargets(HoplintCheck):
    rule = RULES["HOP602"]


check = AlbAclAllowsTargets()

from hoplint_checkov.hoplint_checks import RULES, HoplintCheck


class AlbAclAllowsClients(HoplintCheck):
    rule = RULES["HOP601"]


check = AlbAclAllowsClients()

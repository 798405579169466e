from hoplint_checkov_adapter import RULES, HoplintCheck


class AlbAclAllowsClients(HoplintCheck):
    rule = RULES["HOP601"]


check = AlbAclAllowsClients()

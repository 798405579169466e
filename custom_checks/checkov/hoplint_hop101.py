from hoplint_checkov_adapter import RULES, HoplintCheck


class AlbSecurityGroupAllowsListenerPortFromClients(HoplintCheck):
    rule = RULES["HOP101"]


check = AlbSecurityGroupAllowsListenerPortFromClients()

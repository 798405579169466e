from hoplint_checkov.hoplint_checks import RULES, HoplintCheck


class AlbSecurityGroupAllowsListenerPortFromClients(HoplintCheck):
    rule = RULES["HOP101"]


check = AlbSecurityGroupAllowsListenerPortFromClients()

from hoplint_checkov_adapter import RULES, HoplintCheck


class AlbSecurityGroupEgressAllowsHealthCheckPort(HoplintCheck):
    rule = RULES["HOP302"]


check = AlbSecurityGroupEgressAllowsHealthCheckPort()

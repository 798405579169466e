from hoplint_checkov.hoplint_checks import RULES, HoplintCheck


class AlbSecurityGroupEgressAllowsHealthCheckPort(HoplintCheck):
    rule = RULES["HOP302"]


check = AlbSecurityGroupEgressAllowsHealthCheckPort()

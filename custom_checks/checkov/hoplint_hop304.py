from hoplint_checkov.hoplint_checks import RULES, HoplintCheck


class ServiceSecurityGroupAllowsHealthCheckPortFromAlb(HoplintCheck):
    rule = RULES["HOP304"]


check = ServiceSecurityGroupAllowsHealthCheckPortFromAlb()

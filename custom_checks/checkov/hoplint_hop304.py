from hoplint_checkov_adapter import RULES, HoplintCheck


class ServiceSecurityGroupAllowsHealthCheckPortFromAlb(HoplintCheck):
    rule = RULES["HOP304"]


check = ServiceSecurityGroupAllowsHealthCheckPortFromAlb()

from hoplint_checkov_adapter import RULES, HoplintCheck


class ServiceSecurityGroupAllowsTargetPortFromAlb(HoplintCheck):
    rule = RULES["HOP303"]


check = ServiceSecurityGroupAllowsTargetPortFromAlb()

from hoplint_checkov.hoplint_checks import RULES, HoplintCheck


class ServiceSecurityGroupAllowsTargetPortFromAlb(HoplintCheck):
    rule = RULES["HOP303"]


check = ServiceSecurityGroupAllowsTargetPortFromAlb()

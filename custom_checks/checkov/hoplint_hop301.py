from hoplint_checkov_adapter import RULES, HoplintCheck


class AlbSecurityGroupEgressAllowsTargetPort(HoplintCheck):
    rule = RULES["HOP301"]


check = AlbSecurityGroupEgressAllowsTargetPort()

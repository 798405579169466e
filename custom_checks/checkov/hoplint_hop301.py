from hoplint_checkov.hoplint_checks import RULES, HoplintCheck


class AlbSecurityGroupEgressAllowsTargetPort(HoplintCheck):
    rule = RULES["HOP301"]


check = AlbSecurityGroupEgressAllowsTargetPort()

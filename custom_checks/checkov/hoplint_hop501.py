from hoplint_checkov.hoplint_checks import RULES, HoplintCheck


class InstanceTargetsForHostNetworking(HoplintCheck):
    rule = RULES["HOP501"]


check = InstanceTargetsForHostNetworking()

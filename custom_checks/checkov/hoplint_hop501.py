from hoplint_checkov_adapter import RULES, HoplintCheck


class InstanceTargetsForHostNetworking(HoplintCheck):
    rule = RULES["HOP501"]


check = InstanceTargetsForHostNetworking()

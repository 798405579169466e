from hoplint_checkov_adapter import RULES, HoplintCheck


class FargateUsesAwsvpcNetworkMode(HoplintCheck):
    rule = RULES["HOP208"]


check = FargateUsesAwsvpcNetworkMode()

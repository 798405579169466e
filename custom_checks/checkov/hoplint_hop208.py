from hoplint_checkov.hoplint_checks import RULES, HoplintCheck


class FargateUsesAwsvpcNetworkMode(HoplintCheck):
    rule = RULES["HOP208"]


check = FargateUsesAwsvpcNetworkMode()

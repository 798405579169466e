from hoplint_checkov_adapter import RULES, HoplintCheck


class DualstackListenerOpenToIpv6(HoplintCheck):
    rule = RULES["HOP403"]


check = DualstackListenerOpenToIpv6()

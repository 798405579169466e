from hoplint_checkov.hoplint_checks import RULES, HoplintCheck


class DualstackListenerOpenToIpv6(HoplintCheck):
    rule = RULES["HOP403"]


check = DualstackListenerOpenToIpv6()

from hoplint_checkov.hoplint_checks import RULES, HoplintCheck


class DynamicHostPortHealthChecksTrafficPort(HoplintCheck):
    rule = RULES["HOP502"]


check = DynamicHostPortHealthChecksTrafficPort()

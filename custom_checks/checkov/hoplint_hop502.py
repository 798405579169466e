from hoplint_checkov_adapter import RULES, HoplintCheck


class DynamicHostPortHealthChecksTrafficPort(HoplintCheck):
    rule = RULES["HOP502"]


check = DynamicHostPortHealthChecksTrafficPort()

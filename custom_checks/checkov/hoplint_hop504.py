from hoplint_checkov_adapter import RULES, HoplintCheck


class AlbSgEgressAllowsHostPort(HoplintCheck):
    rule = RULES["HOP504"]


check = AlbSgEgressAllowsHostPort()

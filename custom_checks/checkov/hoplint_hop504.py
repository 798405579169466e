from hoplint_checkov.hoplint_checks import RULES, HoplintCheck


class AlbSgEgressAllowsHostPort(HoplintCheck):
    rule = RULES["HOP504"]


check = AlbSgEgressAllowsHostPort()

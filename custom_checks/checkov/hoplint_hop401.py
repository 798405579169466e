from hoplint_checkov.hoplint_checks import RULES, HoplintCheck


class AlternateTargetGroupMatchesPrimary(HoplintCheck):
    rule = RULES["HOP401"]


check = AlternateTargetGroupMatchesPrimary()

from hoplint_checkov_adapter import RULES, HoplintCheck


class AlternateTargetGroupMatchesPrimary(HoplintCheck):
    rule = RULES["HOP401"]


check = AlternateTargetGroupMatchesPrimary()

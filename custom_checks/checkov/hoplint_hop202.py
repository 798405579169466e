from hoplint_checkov_adapter import RULES, HoplintCheck


class ServiceTargetGroupIsAttachedToListener(HoplintCheck):
    rule = RULES["HOP202"]


check = ServiceTargetGroupIsAttachedToListener()

from hoplint_checkov.hoplint_checks import RULES, HoplintCheck


class ServiceTargetGroupIsAttachedToListener(HoplintCheck):
    rule = RULES["HOP202"]


check = ServiceTargetGroupIsAttachedToListener()

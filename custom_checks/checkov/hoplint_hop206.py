from hoplint_checkov.hoplint_checks import RULES, HoplintCheck


class TargetGroupPortEqualsContainerPort(HoplintCheck):
    rule = RULES["HOP206"]


check = TargetGroupPortEqualsContainerPort()

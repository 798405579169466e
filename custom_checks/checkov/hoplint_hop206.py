from hoplint_checkov_adapter import RULES, HoplintCheck


class TargetGroupPortEqualsContainerPort(HoplintCheck):
    rule = RULES["HOP206"]


check = TargetGroupPortEqualsContainerPort()

from hoplint_checkov_adapter import RULES, HoplintCheck


class TargetGroupHealthCheckProtocolIsHttp(HoplintCheck):
    rule = RULES["HOP211"]


check = TargetGroupHealthCheckProtocolIsHttp()

from hoplint_checkov.hoplint_checks import RULES, HoplintCheck


class TargetGroupHealthCheckProtocolIsHttp(HoplintCheck):
    rule = RULES["HOP211"]


check = TargetGroupHealthCheckProtocolIsHttp()

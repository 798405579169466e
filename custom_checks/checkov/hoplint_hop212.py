from hoplint_checkov_adapter import RULES, HoplintCheck


class HealthCheckPortIsExposedByServiceContainers(HoplintCheck):
    rule = RULES["HOP212"]


check = HealthCheckPortIsExposedByServiceContainers()

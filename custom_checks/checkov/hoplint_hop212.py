from hoplint_checkov.hoplint_checks import RULES, HoplintCheck


class HealthCheckPortIsExposedByServiceContainers(HoplintCheck):
    rule = RULES["HOP212"]


check = HealthCheckPortIsExposedByServiceContainers()

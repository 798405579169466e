from hoplint_checkov.hoplint_checks import RULES, HoplintCheck


class ServiceContainerPortIsTcpPortMapping(HoplintCheck):
    rule = RULES["HOP205"]


check = ServiceContainerPortIsTcpPortMapping()

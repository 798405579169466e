from hoplint_checkov_adapter import RULES, HoplintCheck


class ServiceContainerPortIsTcpPortMapping(HoplintCheck):
    rule = RULES["HOP205"]


check = ServiceContainerPortIsTcpPortMapping()

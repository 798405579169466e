from hoplint_checkov_adapter import RULES, HoplintCheck


class ServiceContainerNameNamesTaskContainer(HoplintCheck):
    rule = RULES["HOP204"]


check = ServiceContainerNameNamesTaskContainer()

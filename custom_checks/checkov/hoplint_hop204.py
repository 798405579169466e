from hoplint_checkov.hoplint_checks import RULES, HoplintCheck


class ServiceContainerNameNamesTaskContainer(HoplintCheck):
    rule = RULES["HOP204"]


check = ServiceContainerNameNamesTaskContainer()

from hoplint_checkov.hoplint_checks import RULES, HoplintCheck


class HostPortEqualsContainerPortUnderAwsvpc(HoplintCheck):
    rule = RULES["HOP207"]


check = HostPortEqualsContainerPortUnderAwsvpc()

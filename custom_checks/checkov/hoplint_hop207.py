from hoplint_checkov_adapter import RULES, HoplintCheck


class HostPortEqualsContainerPortUnderAwsvpc(HoplintCheck):
    rule = RULES["HOP207"]


check = HostPortEqualsContainerPortUnderAwsvpc()

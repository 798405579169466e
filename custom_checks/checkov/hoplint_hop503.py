from hoplint_checkov_adapter import RULES, HoplintCheck


class InstanceSgAllowsHostPortFromAlb(HoplintCheck):
    rule = RULES["HOP503"]


check = InstanceSgAllowsHostPortFromAlb()

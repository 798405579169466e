from hoplint_checkov.hoplint_checks import RULES, HoplintCheck


class InstanceSgAllowsHostPortFromAlb(HoplintCheck):
    rule = RULES["HOP503"]


check = InstanceSgAllowsHostPortFromAlb()

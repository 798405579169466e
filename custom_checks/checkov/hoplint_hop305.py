from hoplint_checkov_adapter import RULES, HoplintCheck


class AwsvpcServiceNamesSecurityGroups(HoplintCheck):
    rule = RULES["HOP305"]


check = AwsvpcServiceNamesSecurityGroups()

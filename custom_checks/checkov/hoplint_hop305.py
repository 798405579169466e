from hoplint_checkov.hoplint_checks import RULES, HoplintCheck


class AwsvpcServiceNamesSecurityGroups(HoplintCheck):
    rule = RULES["HOP305"]


check = AwsvpcServiceNamesSecurityGroups()

from hoplint_checkov.hoplint_checks import RULES, HoplintCheck


class ServiceSecurityGroupNotOpenToInternetOnContainerPort(HoplintCheck):
    rule = RULES["HOP306"]


check = ServiceSecurityGroupNotOpenToInternetOnContainerPort()

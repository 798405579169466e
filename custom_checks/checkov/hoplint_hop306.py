from hoplint_checkov_adapter import RULES, HoplintCheck


class ServiceSecurityGroupNotOpenToInternetOnContainerPort(HoplintCheck):
    rule = RULES["HOP306"]


check = ServiceSecurityGroupNotOpenToInternetOnContainerPort()

from hoplint_checkov_adapter import RULES, HoplintCheck


class TargetGroupTargetTypeIsIpForAwsvpcTasks(HoplintCheck):
    rule = RULES["HOP203"]


check = TargetGroupTargetTypeIsIpForAwsvpcTasks()

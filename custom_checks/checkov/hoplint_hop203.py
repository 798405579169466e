from hoplint_checkov.hoplint_checks import RULES, HoplintCheck


class TargetGroupTargetTypeIsIpForAwsvpcTasks(HoplintCheck):
    rule = RULES["HOP203"]


check = TargetGroupTargetTypeIsIpForAwsvpcTasks()

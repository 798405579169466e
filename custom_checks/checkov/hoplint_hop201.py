from hoplint_checkov.hoplint_checks import RULES, HoplintCheck


class AlbListenersAndTargetGroupsUseHttp(HoplintCheck):
    rule = RULES["HOP201"]


check = AlbListenersAndTargetGroupsUseHttp()

from hoplint_checkov_adapter import RULES, HoplintCheck


class AlbListenersAndTargetGroupsUseHttp(HoplintCheck):
    rule = RULES["HOP201"]


check = AlbListenersAndTargetGroupsUseHttp()

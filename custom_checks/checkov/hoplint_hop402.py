from hoplint_checkov.hoplint_checks import RULES, HoplintCheck


class BlueGreenTestListenerPortOpen(HoplintCheck):
    rule = RULES["HOP402"]


check = BlueGreenTestListenerPortOpen()

from hoplint_checkov_adapter import RULES, HoplintCheck


class BlueGreenTestListenerPortOpen(HoplintCheck):
    rule = RULES["HOP402"]


check = BlueGreenTestListenerPortOpen()

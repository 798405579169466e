"""hoplint's cfn-lint rules as one importable module: `append_rules: [hoplint_adapters.cfn_lint]`.

cfn-lint takes an `append_rules` entry that is not a directory as a module name, imports it, and
instantiates every CloudFormationLintRule subclass among the module's attributes. This package exposes
the rule classes of its rule files, and nothing else: the shared base class must stay out, or cfn-lint
would instantiate it as a rule without an id. Loaded as a directory (`--append-rules <dir>`), cfn-lint
runs the rule files one by one and skips this file, as it skips every file whose name starts with `_`.
"""

import importlib
import inspect
import pkgutil


def _rule_classes() -> dict:
    """Name -> class of every rule class defined in this package's rule files."""
    from cfnlint.rules import CloudFormationLintRule

    classes = {}
    for module_info in pkgutil.iter_modules(__path__):
        if module_info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{module_info.name}")
        for name, value in inspect.getmembers(module, inspect.isclass):
            if issubclass(value, CloudFormationLintRule) and value.__module__ == module.__name__:
                classes[name] = value
    return classes


globals().update(_rule_classes())

"""hoplint's own reading of Terraform configurations, for the root modules checkov's rendering leaves
incomplete (graph.read_graph decides which): syntax.py parses HCL, evaluation.py evaluates a module tree
with Terraform's semantics into resource dicts (policies/terraform/resources.py), functions.py holds the
built-in functions, values.py what a value can be.

Why not checkov's evaluator (checkov/terraform/graph_builder/variable_rendering/: renderer.py,
evaluate_terraform.py, safe_eval_functions.py). It works on text: it substitutes rendered values into
expression strings and evaluates the result as Python (asteval), and keeps the text when that fails. So it
has no value for "not known": `var.x` without a value, a data source's result or a resource's id stay text,
partly substituted (`try(coalesce(var.security_group_name,ex,ex_prefix),)`), and a rule reading them cannot
tell them from literals. It has no scope per module instance: `each.value` and `count.index` inside modules
stay text, `count = local.create ? 1 : 0` is never decided, and a reference passed through a module output
is resolved in the module that receives it. It renders `dynamic` blocks of simple shapes only, ignores type
constraints (`optional()` attributes and defaults, which the registry modules' inputs rely on), and renders a
module's variables in an order that changes with PYTHONHASHSEED. Its parser (bc-python-hcl2) turns
expressions back into Python-like text (`null` becomes `None`, objects Python dicts) and reads binary
operators without precedence, so that text cannot be parsed again faithfully.

What hoplint does take from checkov: which files and module directories make up a configuration (local
paths, downloaded registry and git modules), and its rendering wherever that is complete.
"""

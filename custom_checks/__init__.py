"""hoplint's adapters, installed as the package `hoplint_adapters` (see setup.cfg's package_dir).

checkov/ is a directory for `checkov --external-checks-dir`, cfn_lint/ one for `cfn-lint --append-rules`;
`hoplint checkov-dir` and `hoplint cfn-lint-dir` print where they are installed.
"""

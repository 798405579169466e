"""The `hoplint` command: explain the ALB -> ECS paths of templates, and locate the installed adapters."""

from __future__ import annotations

import argparse
import importlib.metadata
import importlib.util
import json
import os
import sys
from pathlib import Path
from typing import Iterator

from policies.analysis import Analysis, analyze_file
from policies.cloudformation.loader import load_template_text
from policies.explain import explain
from policies.explain_views import render_json, render_mermaid, render_text
from policies.terraform import analyze_terraform_plan_file

EXIT_CLEAN, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
TEMPLATE_SUFFIXES = (".yaml", ".yml", ".json", ".template")
CLOUDFORMATION, TERRAFORM_PLAN = "cloudformation", "terraform plan"
# Directory names a walk never enters: tool caches and vendored code hold no templates of the project.
SKIPPED_DIRECTORIES = {"node_modules", "__pycache__", "venv"}
ADAPTER_PACKAGE = "hoplint_adapters"  # custom_checks/, installed under this name (setup.cfg)
ADAPTER_DIRECTORIES = {"checkov-dir": "checkov", "cfn-lint-dir": "cfn_lint"}

DESCRIPTION = """\
hoplint proves, before deploy, that every hop of

    client --(listener port)--> ALB --(target port, health-check port)--> ECS task

is wired and open. Its rules run inside checkov and cfn-lint; this command draws the paths."""

EXAMPLES = """\
examples:
  hoplint explain template.yaml               every path, each gate marked pass/FAIL/unknown
  hoplint explain infra/ --format mermaid     a flowchart for a pull request comment
  checkov -d infra --external-checks-dir "$(hoplint checkov-dir)"
  cfn-lint --append-rules hoplint_adapters.cfn_lint -- template.yaml"""

EXIT_CODES = """\
exit codes:
  0  nothing failed
  1  some hop FAILED (explain)
  2  usage error, or an input that cannot be read or analysed"""

EXPLAIN_DESCRIPTION = """\
For each ALB -> ECS path of each template, draw

    client -> listener HTTPS:443 -> target group HTTP:8080 (ip) -> service Api / container app:8080

with the gates traffic passes (ALB SG in, ALB SG out, task SG in, health check) and the checks of each
node, marked pass, FAIL, unknown, or n/a (no rule applies), with the reason hoplint found.

A TEMPLATE is a CloudFormation template (YAML or JSON), a Terraform JSON plan (terraform show -json),
or a directory: every template under it is explained, other files are skipped."""


class UsageError(Exception):
    """Input the command cannot work with: reported on stderr, exit code 2."""


def main(argv: list | None = None) -> int:
    parser = _parser()
    arguments = parser.parse_args(argv)
    try:
        return arguments.command(arguments)
    except UsageError as error:
        print(f"hoplint: error: {error}", file=sys.stderr)
        return EXIT_USAGE


def _parser() -> argparse.ArgumentParser:
    def formatter(prog: str) -> argparse.HelpFormatter:
        return argparse.RawDescriptionHelpFormatter(prog, max_help_position=22)

    parser = argparse.ArgumentParser(prog="hoplint", description=DESCRIPTION, epilog=f"{EXAMPLES}\n\n{EXIT_CODES}",
                                     formatter_class=formatter)
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    commands = parser.add_subparsers(title="commands", dest="command_name", required=True)

    explain_parser = commands.add_parser(
        "explain", help="draw the ALB -> ECS paths and their gates",
        description=EXPLAIN_DESCRIPTION, epilog=EXIT_CODES, formatter_class=formatter)
    explain_parser.add_argument("templates", nargs="+", metavar="TEMPLATE", help="template, plan or directory")
    explain_parser.add_argument("--format", choices=("text", "mermaid", "json"), default="text",
                                help="text: for a terminal (default); mermaid: a flowchart that GitHub renders in "
                                     "a ```mermaid block; json: every path, gate and finding")
    explain_parser.add_argument("--color", choices=("auto", "always", "never"), default="auto",
                                help="colour the text format: auto (default) when writing to a terminal and "
                                     "NO_COLOR is not set")
    explain_parser.set_defaults(command=_explain)

    for name, adapter in ADAPTER_DIRECTORIES.items():
        tool = name.rsplit("-", 1)[0]
        option = "--external-checks-dir" if tool == "checkov" else "--append-rules"
        adapter_parser = commands.add_parser(
            name, help=f"print the directory for {tool} {option}",
            description=f"Print the directory of hoplint's installed {tool} adapter, for {tool} {option}.")
        adapter_parser.set_defaults(command=lambda arguments, adapter=adapter: _print_adapter_directory(adapter))
    return parser


def _version() -> str:
    try:
        return importlib.metadata.version("hoplint")
    except importlib.metadata.PackageNotFoundError:
        return "(not installed: running from a source checkout)"


def _explain(arguments: argparse.Namespace) -> int:
    explanations = [explain(analysis, str(path)) for path, analysis in _analyses(arguments.templates)]
    problems = [problem for explanation in explanations for problem in explanation.problems]  # each names its file
    if arguments.format == "json":
        output = render_json(explanations)
    elif arguments.format == "mermaid":
        output = render_mermaid(explanations)
    else:
        output = render_text(explanations, _use_color(arguments.color))
    sys.stdout.write(output)
    for problem in problems:
        print(f"hoplint: error: {problem}", file=sys.stderr)
    if problems:
        return EXIT_USAGE
    return EXIT_FAILED if any(explanation.failed for explanation in explanations) else EXIT_CLEAN


def _use_color(choice: str) -> bool:
    if choice != "auto":
        return choice == "always"
    return sys.stdout.isatty() and not os.environ.get("NO_COLOR")  # https://no-color.org


def _analyses(targets: list) -> Iterator[tuple]:
    """(path, analysis) of every named file, and of every template under every named directory."""
    for target in map(Path, targets):
        if target.is_dir():
            yield from _analyses_in_directory(target)
        elif target.is_file():
            yield target, _analysis(target, _kind(target))
        else:
            raise UsageError(f"{target}: no such file or directory")


def _analyses_in_directory(directory: Path) -> Iterator[tuple]:
    found = False
    terraform_modules = set()
    for root, subdirectories, files in os.walk(directory):
        subdirectories[:] = sorted(d for d in subdirectories if not d.startswith(".") and d not in SKIPPED_DIRECTORIES)
        for name in sorted(files):
            path = Path(root) / name
            if path.suffix == ".tf":
                terraform_modules.add(path.parent)
            elif path.suffix in TEMPLATE_SUFFIXES:
                kind = _kind(path)
                if kind is not None:
                    found = True
                    yield path, _analysis(path, kind)
    # Reading a Terraform configuration takes checkov's rendered graph, which the engine does not import.
    # Once an entry point analyses a configuration directory, yield its analyses here instead of skipping.
    skipped = (f"Terraform configurations ({', '.join(map(str, sorted(terraform_modules)))}) cannot be explained "
               f"yet: explain their plan (terraform show -json tfplan > tfplan.json)") if terraform_modules else ""
    if not found:
        raise UsageError(f"{directory}: no CloudFormation template or Terraform plan in it" +
                         (f"; {skipped}" if skipped else ""))
    if skipped:
        print(f"hoplint: note: {directory}: skipped {skipped}", file=sys.stderr)


def _analysis(path: Path, kind: str | None) -> Analysis:
    if kind == TERRAFORM_PLAN:
        return analyze_terraform_plan_file(str(path))
    return analyze_file(str(path))  # for a file that is no template, its problems say why


def _kind(path: Path) -> str | None:
    """CLOUDFORMATION, TERRAFORM_PLAN, or None for a file that is neither (or cannot be read as either)."""
    try:
        raw = path.read_bytes()
    except OSError:
        return None
    if path.suffix == ".json":
        try:
            document = json.loads(raw)
        except (UnicodeDecodeError, ValueError):
            return None
        if isinstance(document, dict) and isinstance(document.get("planned_values"), dict):
            return TERRAFORM_PLAN
    document, _, problem = load_template_text(raw, str(path))
    return CLOUDFORMATION if problem is None and isinstance(document, dict) and isinstance(
        document.get("Resources"), dict) else None


def _print_adapter_directory(adapter: str) -> int:
    print(adapter_directory(adapter))
    return EXIT_CLEAN


def adapter_directory(adapter: str) -> Path:
    """The directory of an adapter (checkov, cfn_lint): installed with the pack, or in this source checkout."""
    spec = importlib.util.find_spec(ADAPTER_PACKAGE)
    if spec is not None and spec.submodule_search_locations:
        base = Path(list(spec.submodule_search_locations)[0])
    else:
        base = Path(__file__).resolve().parents[1] / "custom_checks"
    directory = base / adapter
    if not directory.is_dir():
        raise UsageError(f"hoplint's {adapter} adapter is not installed (looked in {directory})")
    return directory


if __name__ == "__main__":
    sys.exit(main())

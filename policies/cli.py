"""The `hoplint` command: explain the ALB -> ECS paths of templates, and locate the installed adapters.

The one place the engine's side reaches into an adapter: a Terraform configuration is read through checkov's
rendered graph, which the engine never imports. For a directory holding .tf files, and only then, the
command imports the checkov adapter's custom_checks/checkov/hoplint_terraform_directory.py (installed as
hoplint_adapters.checkov.hoplint_terraform_directory), which imports checkov. Without checkov the command
still explains every other input, says which Terraform directories it could not read, and exits 2: a
missing optional tool never hides the CloudFormation results. Nothing else here imports an adapter or a tool.
"""

from __future__ import annotations

import argparse
import functools
import importlib.metadata
import importlib.util
import json
import os
import sys
from pathlib import Path
from typing import Iterator

from policies.analysis import analyze_paths
from policies.cloudformation.loader import load_template_text
from policies.explain import explain
from policies.explain_views import render_json, render_mermaid, render_text
from policies.findings import Analysis
from policies.suppressions import Suppressions, application_suppressions
from policies.terraform_analysis import analyze_terraform_plan_file

EXIT_CLEAN, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
TEMPLATE_SUFFIXES = (".yaml", ".yml", ".json", ".template")
CLOUDFORMATION, TERRAFORM_PLAN, TERRAFORM_CONFIGURATION = "cloudformation", "terraform plan", "terraform"
NOUN_OF_KIND = {CLOUDFORMATION: "template", TERRAFORM_PLAN: "plan", TERRAFORM_CONFIGURATION: "configuration"}
TERRAFORM_SUFFIXES = (".tf",)  # what checkov's Terraform runner reads (it skips .tf.json)
# Directory names a walk never enters: tool caches and vendored code hold no templates of the project.
SKIPPED_DIRECTORIES = {"node_modules", "__pycache__", "venv"}
ADAPTER_PACKAGE = "hoplint_adapters"  # custom_checks/, installed under this name (setup.cfg)
ADAPTER_DIRECTORIES = {"checkov-dir": "checkov", "cfn-lint-dir": "cfn_lint"}
TERRAFORM_READER = "hoplint_terraform_directory"  # in the checkov adapter: Terraform directory -> analyses

DESCRIPTION = """\
hoplint proves, before deploy, that every hop of

    client --(listener port)--> ALB --(target port, health-check port)--> ECS task

is wired and open. Its rules run inside checkov and cfn-lint; this command draws the paths."""

EXAMPLES = """\
examples:
  hoplint explain template.yaml               every path, each gate marked pass/FAIL/unknown
  hoplint explain infra/ --format mermaid     a flowchart for a pull request comment
  hoplint explain terraform/                  every root module of a Terraform configuration (needs checkov)
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

with the gates traffic passes (ALB SG in, ALB SG out, task or instance SG in, health check, and the
network ACLs where the template has its own) and the checks of each node, marked pass, FAIL, unknown,
n/a (no rule applies), or skipped (a checkov skip or cfn-lint ignore_checks accepts it), with the reason
hoplint found.

A TEMPLATE is a CloudFormation template (YAML or JSON), a Terraform JSON plan (terraform show -json),
or a directory: every template and plan under it is explained, and every Terraform root module (read
through checkov, which must be installed); other files are skipped."""


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
    explanations = [explain(analysis, str(path), noun, suppressions)
                    for path, noun, analysis, suppressions in _analyses(arguments.templates)]
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
    """(name, noun, analysis, suppressions) of every input named: the CloudFormation templates of every named
    file and directory as the applications they form (one scan), each Terraform plan, each Terraform root module.
    Terraform directories that cannot be read (checkov missing, or failing on them) are one input with that
    problem."""
    entries = []  # (path, kind), in walk order
    terraform_roots: dict = {}
    unread = []
    for target in map(Path, targets):
        if target.is_dir():
            found, roots, unreadable = _entries_in_directory(target)
            entries += found
            terraform_roots.update(roots)
            if unreadable is not None:
                unread.append((target, unreadable))
        elif target.is_file():
            if target.name.endswith(TERRAFORM_SUFFIXES):
                raise UsageError(f"{target}: a Terraform file: explain its directory, {target.parent}")
            entries.append((target, _kind(target)))
        else:
            raise UsageError(f"{target}: no such file or directory")
    templates = [str(path) for path, kind in entries if kind in (CLOUDFORMATION, None)]
    scan = analyze_paths(templates) if templates else None
    explained: set = set()
    for path, kind in entries:
        if kind == TERRAFORM_PLAN:  # a plan has no place for a suppression
            yield path, NOUN_OF_KIND[kind], analyze_terraform_plan_file(str(path)), Suppressions()
        elif kind == TERRAFORM_CONFIGURATION:
            yield (path, NOUN_OF_KIND[kind], *terraform_roots[path])
        else:
            analysis = scan.of(str(path))
            if id(analysis) in explained:
                continue  # an application already explained at its first template
            explained.add(id(analysis))
            application = analysis.application
            suppressions = application_suppressions(application) if application is not None else Suppressions()
            several = application is not None and len(application.sources) > 1
            yield ((application.label, "application", analysis, suppressions) if several
                   else (path, NOUN_OF_KIND[CLOUDFORMATION] if kind else "file", analysis, suppressions))
    for directory, unreadable in unread:
        yield directory, NOUN_OF_KIND[TERRAFORM_CONFIGURATION], unreadable, Suppressions()


def _entries_in_directory(directory: Path) -> tuple:
    """([(path, kind)] in walk order: templates and plans, and each Terraform root module where its directory
    is; {root module directory: (Analysis, Suppressions)}; an Analysis whose problem says why the directory's
    Terraform configurations could not be read, or None)."""
    entries = []  # (path, kind); a directory with Terraform files once, at its first one
    terraform_directories: dict = {}
    for root, subdirectories, files in os.walk(directory):
        subdirectories[:] = sorted(d for d in subdirectories if not d.startswith(".") and d not in SKIPPED_DIRECTORIES)
        for name in sorted(files):
            path = Path(root) / name
            if name.endswith(TERRAFORM_SUFFIXES):
                if path.parent not in terraform_directories:
                    terraform_directories[path.parent] = True
                    entries.append((path.parent, TERRAFORM_CONFIGURATION))
            elif path.suffix in TEMPLATE_SUFFIXES:
                kind = _kind(path)
                if kind is not None:
                    entries.append((path, kind))
    roots, unread = _terraform_analyses(directory, terraform_directories) if terraform_directories else ({}, None)
    # A local module's directory, or one without resources, is no root to explain.
    entries = [(path, kind) for path, kind in entries if kind != TERRAFORM_CONFIGURATION or path in roots]
    if not entries and unread is None:
        raise UsageError(f"{directory}: no CloudFormation template, Terraform plan or Terraform resource in it")
    return entries, roots, unread


def _terraform_analyses(directory: Path, terraform_directories: dict) -> tuple:
    """({directory of each Terraform root module under `directory` (as the walk names it): (its Analysis, its
    Suppressions)}, None), or ({}, an Analysis whose problem says why none of them could be read)."""
    try:
        analyses = terraform_directory_reader().analyze_terraform_directory(str(directory))
    except ModuleNotFoundError as error:
        if (error.name or "").split(".")[0] != "checkov":
            raise
        why = ("reading them takes checkov, which is not installed: pip install 'hoplint[checkov]' "
               "(or explain their plan: terraform show -json tfplan > tfplan.json)")
    except Exception as error:  # noqa: BLE001 - checkov failed on the configuration: inputs that cannot be analysed
        why = f"checkov could not read them: {error}"
    else:
        base = os.path.abspath(directory)
        # checkov names each root by its absolute directory, and walks hidden directories the walk here skips.
        named = {Path(directory) / os.path.relpath(root, base): read for root, read in analyses.items()}
        return {path: read for path, read in named.items() if path in terraform_directories}, None
    listed = ", ".join(str(path) for path in terraform_directories)
    return {}, Analysis(source=str(directory), problems=[f"{directory}: Terraform configurations not read ({listed}): "
                                                         f"{why}"])


@functools.lru_cache(maxsize=None)
def terraform_directory_reader():
    """The checkov adapter's module that reads Terraform directories (see the module docstring): the
    installed one, else the one of this source checkout."""
    name = f"{ADAPTER_PACKAGE}.checkov.{TERRAFORM_READER}"
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as error:
        if error.name not in (ADAPTER_PACKAGE, f"{ADAPTER_PACKAGE}.checkov", name):
            raise
    path = Path(__file__).resolve().parents[1] / "custom_checks" / "checkov" / f"{TERRAFORM_READER}.py"
    if not path.is_file():
        raise UsageError(f"hoplint's checkov adapter is not installed (looked for {name} and {path})")
    spec = importlib.util.spec_from_file_location(TERRAFORM_READER, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


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

"""`make corpus`: how the pack judges real public applications, against the labels a reviewer gave them.

For every application directory in <corpus>/cloudformation (<corpus> is $HOPLINT_CORPUS, else ../shared/corpus
beside the repository) this runs, with the pack of this checkout:

- checkov -d APP (the pack's checks only, JSON),
- cfn-lint over all the app's templates in one run (the pack's rules, JSON),
- hoplint explain --format json APP,

each with HOPLINT_DEPLOYMENT naming corpus/<app>.yaml when the project has one (how the app's stacks are
deployed: their names and parameter values). Each tool's FAILED findings are compared with the app's row of
<corpus>/LABELS.tsv, read where it is (never copied into the project): a FAILED finding whose rule the row
does not list is a false alarm, a rule the row lists that has no FAILED finding is a miss. Findings of
information rules (HOP206) are neither: they fail nothing. Explain's paths give the seed gates: ALB SG in,
ALB SG out, task SG in (instance SG in in bridge and host mode) and health check, four per path, decided when
PASSED or FAILED.

One line per app, the false alarms, misses and disagreements between the tools under it, and at the end:

    corpus: N apps, P paths, D/G seed gates decided, F false alarms, M misses

F counts each (app, file, rule) that some tool FAILED without the label listing the rule, M each (app, rule)
the label lists that some tool did not fail. The tools agree on an app when they failed the same rules in the
same files.

    python corpus/measure.py [--corpus DIR] [--jobs 2] [--gates]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

REPO_ROOT = Path(__file__).resolve().parents[1]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))  # run as a script from a checkout: the engine's catalog is beside it

from policies.catalog import RULE_OF_CHECKOV_ID, RULES  # noqa: E402

DEPLOYMENTS_DIR = Path(__file__).resolve().parent  # corpus/<app>.yaml
DEFAULT_CORPUS = REPO_ROOT.parent / "shared" / "corpus"
CORPUS_VARIABLE, DEPLOYMENT_VARIABLE = "HOPLINT_CORPUS", "HOPLINT_DEPLOYMENT"
TOOLS_DIR = Path(sys.executable).parent
CHECKOV_CHECKS = REPO_ROOT / "custom_checks" / "checkov"
CFN_LINT_RULES = REPO_ROOT / "custom_checks" / "cfn_lint"
# No update check, no download of checkov's id mapping: both reach the network.
OFFLINE = {"CKV_SKIP_PACKAGE_UPDATE_CHECK": "true", "BC_SKIP_MAPPING": "TRUE"}
TEMPLATE_SUFFIXES = (".yaml", ".yml", ".json", ".template")
TOOL_TIMEOUT = 600  # seconds, per tool and app

CHECKOV, CFN_LINT, EXPLAIN = "checkov", "cfn-lint", "explain"
TOOLS = (CHECKOV, CFN_LINT, EXPLAIN)
RULE_OF_CFN_LINT_ID = {rule.cfn_lint_id: rule for rule in RULES.values()}
# explain's seed gates, as named in its JSON: the task's ingress is the instance's in bridge and host mode.
SEED_GATES = (("ALB SG in",), ("ALB SG out",), ("task SG in", "instance SG in"), ("health check",))
DECIDED = ("PASSED", "FAILED")


@dataclass(frozen=True)
class Label:
    app: str
    paths: int | None  # the ALB -> ECS paths the app deploys
    expected_failed: frozenset  # rule ids that must FAIL
    notes: str


@dataclass(frozen=True)
class Failure:
    """One FAILED finding of a tool: the file it lands in (relative to the app), its rule, what it says."""

    file: str
    rule: str
    message: str


@dataclass
class ToolRun:
    """What one tool said about one app: its FAILED findings (information rules left out), or why none."""

    failures: list = field(default_factory=list)
    error: str | None = None  # the tool broke down: its findings are not to be trusted

    def failed(self) -> set:
        """(file, rule) pairs the tool FAILED."""
        return {(failure.file, failure.rule) for failure in self.failures}


@dataclass
class Gates:
    paths: int = 0
    decided: int = 0
    total: int = 0


@dataclass
class AppResult:
    app_dir: Path
    label: Label | None
    runs: dict  # tool -> ToolRun
    gates: Gates
    explanation: Any = None  # explain's JSON: what it said of a missed rule, and of each undecided gate
    false_alarms: dict = field(default_factory=dict)  # (file, rule) -> {tool: [messages]}
    misses: dict = field(default_factory=dict)  # rule -> tools that did not fail it
    disagreements: dict = field(default_factory=dict)  # (file, rule) -> tools that failed it, when not all did

    @property
    def agree(self) -> bool:
        return not self.disagreements and not any(run.error for run in self.runs.values())


# Labels


def read_labels(text: str) -> dict:
    """App -> Label, from LABELS.tsv: a header, then app, paths, expected_failed ("-" for none), notes."""
    rows = [line.split("\t") for line in text.splitlines() if line.strip()]
    header, *records = rows
    columns = {name.strip(): index for index, name in enumerate(header)}
    labels = {}
    for record in records:
        def cell(name: str) -> str:
            index = columns.get(name)
            return record[index].strip() if index is not None and index < len(record) else ""

        listed = cell("expected_failed")
        rules = frozenset(rule for rule in re.split(r"[,\s]+", listed) if rule and rule != "-")
        paths = cell("paths")
        labels[cell("app")] = Label(cell("app"), int(paths) if paths.isdigit() else None, rules, cell("notes"))
    return labels


# Reading each tool's output


def relative_file(path: str, app_dir: Path) -> str:
    """A file as the app names it, "/"-separated, whatever way a tool named it (absolute, or from -d)."""
    candidate = Path(path)
    if not candidate.is_absolute():
        candidate = app_dir / path.lstrip("/")
    try:
        return candidate.resolve().relative_to(app_dir.resolve()).as_posix()
    except ValueError:
        return Path(path).as_posix()


def counted(rule_id: str) -> bool:
    """A rule whose FAILED findings count: a catalog rule that is not information (HOP206)."""
    rule = RULES.get(rule_id)
    return rule is not None and not rule.informational


def checkov_failures(report: Any, app_dir: Path) -> list:
    """The pack's FAILED records of checkov's JSON report (one report, or a list of them)."""
    reports = report if isinstance(report, list) else [report]
    failures = []
    for each in reports:
        results = each.get("results") if isinstance(each, dict) else None
        for record in (results or {}).get("failed_checks") or []:
            rule = RULE_OF_CHECKOV_ID.get(record.get("check_id"))
            if rule is None or not counted(rule.id):
                continue
            file = record.get("file_abs_path") or record.get("file_path") or ""
            message = "; ".join(record.get("details") or []) or f"{record.get('resource')}: {rule.title}"
            failures.append(Failure(relative_file(file, app_dir), rule.id, message))
    return failures


def cfn_lint_failures(matches: Any, app_dir: Path) -> list:
    """The pack's matches in cfn-lint's JSON output: each is a FAILED finding, at the line to change."""
    failures = []
    for match in matches if isinstance(matches, list) else []:
        rule = RULE_OF_CFN_LINT_ID.get(((match.get("Rule") or {}).get("Id")))
        if rule is None or not counted(rule.id):
            continue
        line = ((match.get("Location") or {}).get("Start") or {}).get("LineNumber")
        failures.append(Failure(relative_file(match.get("Filename") or "", app_dir), rule.id,
                                f"{match.get('Message')} (line {line})"))
    return failures


def explained_findings(template: dict) -> Iterable[dict]:
    """Every finding of one template of explain's JSON: on its paths' gates and nodes, and off any path.
    A finding shown on several paths is the same finding: each is given once."""
    seen = set()
    for path in template.get("paths") or []:
        for check in [*(path.get("gates") or []), *(path.get("nodes") or [])]:
            for finding in check.get("findings") or []:
                key = (finding.get("rule"), finding.get("resource"), finding.get("line"), finding.get("message"))
                if key not in seen:
                    seen.add(key)
                    yield finding
    yield from template.get("other_findings") or []


def explain_failures(explanation: Any, app_dir: Path) -> list:
    """The FAILED findings of explain's JSON, in the file of their template (or the file a finding names)."""
    failures = []
    for template in (explanation or {}).get("templates") or []:
        for finding in explained_findings(template):
            if finding.get("verdict") == "FAILED" and counted(finding.get("rule")):
                file = finding.get("file") or template.get("source") or ""
                line = finding.get("line")
                failures.append(Failure(relative_file(file, app_dir), finding["rule"],
                                        f"{finding.get('message')}" + (f" (line {line})" if line else "")))
    return failures


def explained_verdicts(explanation: Any, rule_id: str) -> list:
    """What explain said of one rule: "<verdict> on <resource>: <message>" per finding, each once."""
    said = []
    for template in (explanation or {}).get("templates") or []:
        for finding in explained_findings(template):
            if finding.get("rule") == rule_id:
                text = f"{finding.get('verdict')} on {finding.get('resource')}: {finding.get('message')}"
                if text not in said:
                    said.append(text)
    return said


def seed_gates(explanation: Any) -> Gates:
    """explain's paths, and how many of their seed gates (four per path) are PASSED or FAILED."""
    gates = Gates()
    for _, path in explained_paths(explanation):
        verdicts = {gate.get("gate"): gate.get("verdict") for gate in path.get("gates") or []}
        gates.paths += 1
        gates.total += len(SEED_GATES)
        gates.decided += sum(any(verdicts.get(name) in DECIDED for name in names) for names in SEED_GATES)
    return gates


def explained_paths(explanation: Any) -> Iterable[tuple]:
    """(template source, path) of every path of explain's JSON."""
    for template in (explanation or {}).get("templates") or []:
        for path in template.get("paths") or []:
            yield template.get("source"), path


def undecided_gates(explanation: Any, app_dir: Path) -> list:
    """Each seed gate explain did not decide, with why: "<file>: <path>: <gate> <verdict>: <reasons>"."""
    lines = []
    for source, path in explained_paths(explanation):
        gates = {gate.get("gate"): gate for gate in path.get("gates") or []}
        for names in SEED_GATES:
            gate = next((gates[name] for name in names if name in gates), None)
            if gate is not None and gate.get("verdict") in DECIDED:
                continue
            reasons = sorted({f"{finding.get('rule')} {finding.get('message')}" for finding in
                              (gate or {}).get("findings") or [] if finding.get("verdict") not in DECIDED})
            verdict = (gate or {}).get("verdict") or "n/a"
            lines.append(f"{relative_file(source or '', app_dir)}: {path.get('label')}: {' or '.join(names)} "
                         f"{verdict}: {'; '.join(reasons) or 'no rule judges it'}")
    return lines


# Comparing with the label


def compare(result: AppResult) -> AppResult:
    """Fill in the app's false alarms, misses and disagreements from its tools' runs and its label."""
    expected = result.label.expected_failed if result.label else frozenset()
    for tool, run in result.runs.items():
        for failure in run.failures:
            if failure.rule not in expected:
                messages = result.false_alarms.setdefault((failure.file, failure.rule), {}).setdefault(tool, [])
                if failure.message not in messages:
                    messages.append(failure.message)
    for rule in sorted(expected):
        missing = [tool for tool, run in result.runs.items() if rule not in {failed for _, failed in run.failed()}]
        if missing:
            result.misses[rule] = missing
    failed_by = {}
    for tool, run in result.runs.items():
        for pair in run.failed():
            failed_by.setdefault(pair, []).append(tool)
    result.disagreements = {pair: tools for pair, tools in sorted(failed_by.items())
                            if len(tools) != len(result.runs)}
    return result


# Running the tools


def app_templates(app_dir: Path) -> list:
    """The app's template files, in a stable order: what cfn-lint lints in one run."""
    return sorted(str(path) for path in app_dir.rglob("*")
                  if path.is_file() and path.suffix in TEMPLATE_SUFFIXES
                  and not any(part.startswith(".") for part in path.relative_to(app_dir).parts))


def deployment_file(app: str, deployments_dir: Path = DEPLOYMENTS_DIR) -> Path | None:
    path = deployments_dir / f"{app}.yaml"
    return path.resolve() if path.is_file() else None


def tool_environment(deployment: Path | None) -> dict:
    """The tools' environment: offline, and naming the app's deployment description when there is one."""
    environment = dict(os.environ, **OFFLINE)
    environment.pop(DEPLOYMENT_VARIABLE, None)
    if deployment is not None:
        environment[DEPLOYMENT_VARIABLE] = str(deployment)
    return environment


def tool_commands(app_dir: Path) -> dict:
    """Tool -> its command line on the app."""
    return {
        CHECKOV: [str(TOOLS_DIR / "checkov"), "--skip-download", "--external-checks-dir", str(CHECKOV_CHECKS),
                  "--check", "CKV_HOP_*", "--framework", "cloudformation", "-o", "json", "-d", str(app_dir)],
        CFN_LINT: [str(TOOLS_DIR / "cfn-lint"), "--append-rules", str(CFN_LINT_RULES), "--format", "json", "--",
                   *app_templates(app_dir)],
        EXPLAIN: [sys.executable, "-m", "policies.cli", "explain", "--format", "json", str(app_dir)],
    }


# What each tool's exit code may be when it did its job: checkov 0/1 (nothing failed / something failed),
# cfn-lint a bit set of the levels it found (2 error, 4 warning, 8 informational), explain 0/1, or 2 when an
# input could not be analysed (it still writes its JSON, with the problems).
ACCEPTED_EXIT_CODES = {CHECKOV: {0, 1}, CFN_LINT: {bits for bits in range(16) if not bits & 1}, EXPLAIN: {0, 1, 2}}
READERS = {CHECKOV: checkov_failures, CFN_LINT: cfn_lint_failures, EXPLAIN: explain_failures}


def run_tool(tool: str, command: list, app_dir: Path, environment: dict) -> tuple:
    """(ToolRun, the tool's parsed JSON output or None)."""
    try:
        process = subprocess.run(command, cwd=REPO_ROOT, env=environment, stdin=subprocess.DEVNULL,
                                 capture_output=True, text=True, timeout=TOOL_TIMEOUT, check=False)
    except (OSError, subprocess.TimeoutExpired) as error:
        return ToolRun(error=f"did not run: {error}"), None
    try:
        output = json.loads(process.stdout) if process.stdout.strip() else None
    except ValueError:
        output = None
    if process.returncode not in ACCEPTED_EXIT_CODES[tool] or (output is None and tool != CFN_LINT):
        last = (process.stderr.strip().splitlines() or ["no output"])[-1]
        return ToolRun(error=f"exit {process.returncode}: {last}"), output
    return ToolRun(READERS[tool](output if output is not None else [], app_dir)), output


def measure_app(app_dir: Path, label: Label | None, deployments_dir: Path = DEPLOYMENTS_DIR) -> AppResult:
    environment = tool_environment(deployment_file(app_dir.name, deployments_dir))
    runs, explanation = {}, None
    for tool, command in tool_commands(app_dir).items():
        runs[tool], output = run_tool(tool, command, app_dir, environment)
        if tool == EXPLAIN:
            explanation = output
    return compare(AppResult(app_dir, label, runs, seed_gates(explanation), explanation))


# Report


def app_lines(result: AppResult, show_gates: bool = False) -> list:
    """The app's line, and under it what went wrong: tools that broke down, false alarms, misses,
    disagreements; with `show_gates`, each seed gate left undecided and why."""
    labelled = result.label.paths if result.label and result.label.paths is not None else "?"
    gates = result.gates
    line = (f"{result.app_dir.name:<26} {gates.paths} paths ({labelled} labelled), "
            f"{gates.decided}/{gates.total} seed gates decided, {len(result.false_alarms)} false alarms, "
            f"{len(result.misses)} misses, "
            f"{'tools agree' if result.agree else 'TOOLS DISAGREE'}")
    lines = [line]
    if result.label is None:
        lines.append("    no row in LABELS.tsv: every FAILED finding counts as a false alarm")
    for tool, run in result.runs.items():
        if run.error:
            lines.append(f"    {tool} broke down: {run.error}")
    for (file, rule), said in result.false_alarms.items():
        lines.append(f"    false alarm {rule} in {file}, by {', '.join(said)}:")
        for tool, messages in said.items():
            lines.extend(f"        {tool}: {message}" for message in messages)
    for rule, tools in result.misses.items():
        lines.append(f"    miss {rule}: no FAILED finding from {', '.join(tools)}; explain says:")
        said = explained_verdicts(result.explanation, rule)
        lines.extend(f"        {text}" for text in said or [f"nothing: no finding of {rule} on any resource"])
    for (file, rule), tools in result.disagreements.items():
        others = [tool for tool in result.runs if tool not in tools]
        lines.append(f"    disagree on {rule} in {file}: failed by {', '.join(tools)}, not by {', '.join(others)}")
    if show_gates:
        lines.extend(f"    undecided {text}" for text in undecided_gates(result.explanation, result.app_dir))
    return lines


def summary_line(results: list) -> str:
    paths = sum(result.gates.paths for result in results)
    decided = sum(result.gates.decided for result in results)
    total = sum(result.gates.total for result in results)
    false_alarms = sum(len(result.false_alarms) for result in results)
    misses = sum(len(result.misses) for result in results)
    return (f"corpus: {len(results)} apps, {paths} paths, {decided}/{total} seed gates decided, "
            f"{false_alarms} false alarms, {misses} misses")


def corpus_dir(argument: str | None) -> Path:
    return Path(argument or os.environ.get(CORPUS_VARIABLE) or DEFAULT_CORPUS)


def main(argv: list | None = None, deployments_dir: Path = DEPLOYMENTS_DIR) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", help=f"the corpus directory (default: ${CORPUS_VARIABLE}, else {DEFAULT_CORPUS})")
    parser.add_argument("--jobs", type=int, default=2, help="apps measured at once (default 2)")
    parser.add_argument("--gates", action="store_true", help="list each seed gate left undecided, and why")
    arguments = parser.parse_args(argv)
    corpus = corpus_dir(arguments.corpus)
    apps_root, labels_file = corpus / "cloudformation", corpus / "LABELS.tsv"
    if not apps_root.is_dir() or not labels_file.is_file():
        print(f"corpus: no {apps_root} or no {labels_file} (set {CORPUS_VARIABLE} or --corpus)", file=sys.stderr)
        return 2
    labels = read_labels(labels_file.read_text(encoding="utf-8"))
    apps = sorted(path for path in apps_root.iterdir() if path.is_dir() and not path.name.startswith("."))
    with ThreadPoolExecutor(max_workers=max(1, arguments.jobs)) as executor:
        results = []
        for result in executor.map(lambda app: measure_app(app, labels.get(app.name), deployments_dir), apps):
            results.append(result)
            print("\n".join(app_lines(result, arguments.gates)), flush=True)
    print(summary_line(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())

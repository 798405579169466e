"""`make bench`: what hoplint adds to checkov and cfn-lint, and how its engine scales.

Generates ALB + ECS stacks (benchmarks/stacks.py) into a temporary directory, then measures:

- checkov with the pack against checkov without it, same framework and flags, on CloudFormation
  templates and Terraform configurations; and checkov with a control pack (NO_OP_CHECK): the same
  checks reporting the same results without the engine, which is checkov's own share of the cost;
- cfn-lint with the pack (--append-rules) against cfn-lint without it;
- the engine alone (policies.analyze_file on a fresh cache: load, topology, every rule) against merely
  parsing the template: json.loads, and PyYAML with the C parser (libyaml, what the engine's loader
  uses) and with the pure-Python one;
- peak memory: the maximum resident set of each tool process (os.wait4), and the peak of Python
  allocations (tracemalloc) for the in-process engine and parsers.

The variants of one tool and size run back to back, in an order that rotates from round to round, and
every size is visited once per round, so drift in the machine's speed hits all variants alike. A tool's
overhead is the median of the paired ratios (with / without) minus one; the middle half of those ratios
shows how much the machine's speed moved them. The pack's own share is the median of with / no-op. The
script checks the targets (the *_MAX_* constants), prints a table, writes benchmarks/results.json and exits
non-zero when a target is missed.

    python benchmarks/bench.py [--runs 7] [--output benchmarks/results.json]

`--instructions` counts instructions under valgrind instead (benchmarks/instructions.json): each tool at 124
services, and on an application of 40 stacks (APPLICATION_LAYOUT), with hoplint's own share of each
(OWN_MAX_SHARE). The runs without the pack and with the control do not run hoplint's engine: `--pack-only`
counts only the runs with the pack and takes the others from the previous instructions file, when it was
counted with the same checkov, cfn-lint, PyYAML and Python.
"""

from __future__ import annotations

import argparse
import compileall
import datetime
import gc
import importlib
import inspect
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import yaml

import stacks

REPO_ROOT = Path(__file__).resolve().parents[1]
TOOLS_DIR = Path(sys.executable).parent
CHECKOV_CHECKS = REPO_ROOT / "custom_checks" / "checkov"
CFN_LINT_RULES = REPO_ROOT / "custom_checks" / "cfn_lint"

CLOUDFORMATION_SIZES = (1, 10, 50, 124)  # services; 124 is CloudFormation's 500-resource limit
TERRAFORM_SIZES = (1, 10, 50, 124, 1000)
# The same Terraform designs made of module calls, which hoplint evaluates itself (policies/terraform/hcl).
# checkov alone needs minutes to render 1,000 module calls: the comparison stays at 124, hoplint's evaluation
# alone is timed up to 1,000 (TERRAFORM_EVALUATION_SIZES).
TERRAFORM_MODULE_SIZES = (124,)
TERRAFORM_EVALUATION_SIZES = (10, 50, 124, 1000)
# The engine alone also reads a CloudFormation template of 1,000 services (4,004 resources): past what
# CloudFormation deploys, but the size at which a step comparing everything with everything would show.
ENGINE_SIZES = CLOUDFORMATION_SIZES + (1000,)
ENGINE_RUNS = 5  # in one process, interleaved: each run is short

CHECKOV_MAX_OVERHEAD = 0.05
CFN_LINT_MAX_OVERHEAD = 0.10
# hoplint's own share of the instructions at 124 services (#16): with the pack over the no-op control in
# checkov (which charges any check's results to the run), with over without in cfn-lint (no such charge).
OWN_MAX_SHARE = 0.01
# Engine time per resource at the largest size over that at the mid size: 1 when linear, about
# 4,004 / 204 = 20 if the engine compared every security-group rule with every service.
ENGINE_LINEARITY_MID_SIZE = 50
ENGINE_LINEARITY_MAX_FACTOR = 2.0
# The same services split into an application of stacks.APPLICATION_STACKS stacks (nested and exported):
# joining stacks must not cost more than half again per resource.
APPLICATION_SIZES = (124, 1000)
APPLICATION_MAX_FACTOR = 1.5

SUMMARY = re.compile(r"Passed checks: (\d+), Failed checks: (\d+), Skipped checks: (\d+)")


# -- one measured tool process ------------------------------------------------------------------------------

@dataclass
class Measured:
    seconds: float
    max_rss_mb: float
    returncode: int
    stdout: str
    stderr: str


# Starts the measured command and reports its wall time, peak resident set and exit code. Linux counts the
# memory of the process that starts a program in the program's peak resident set (fork copies it, exec
# records it), and this script holds checkov's modules and the engine's results by then: every tool it
# started itself would report at least this script's size. Started through this small interpreter
# instead (`python -S`, no site-packages), a tool reports its own peak.
PEAK_RSS_STARTER = """import os, subprocess, sys, time
start = time.perf_counter()
process = subprocess.Popen(sys.argv[2:])
_, status, usage = os.wait4(process.pid, 0)
with open(sys.argv[1], "w") as result:
    result.write(f"{time.perf_counter() - start} {usage.ru_maxrss} {os.waitstatus_to_exitcode(status)}")
"""


def run_measured(command: list, cwd: Path, environment: dict | None = None) -> Measured:
    """Run `command` to completion: wall time, and the peak resident set of its process tree (os.wait4)."""
    env = dict(os.environ, CKV_SKIP_PACKAGE_UPDATE_CHECK="true", BC_SKIP_MAPPING="TRUE", **(environment or {}))
    env["PYTHONPATH"] = os.pathsep.join(filter(None, (str(REPO_ROOT), env.get("PYTHONPATH"))))
    with tempfile.TemporaryFile("w+") as stdout, tempfile.TemporaryFile("w+") as stderr, \
            tempfile.NamedTemporaryFile("r") as result:
        subprocess.run([sys.executable, "-S", "-c", PEAK_RSS_STARTER, result.name, *command], cwd=cwd, env=env,
                       stdout=stdout, stderr=stderr)
        stdout.seek(0)
        stderr.seek(0)
        measured = result.read().split()
        if not measured:  # the command could not start
            raise SystemExit(f"cannot run {command[0]}:\n{stderr.read()[-2000:]}")
        seconds, max_rss_kib, returncode = measured
        # ru_maxrss is in KiB on Linux: the largest process of the tree (checkov forks its parsers).
        return Measured(float(seconds), int(max_rss_kib) / 1024, int(returncode), stdout.read(), stderr.read())


# -- with against without -----------------------------------------------------------------------------------

# The control: the pack's checks (same ids, registries and results, as graph checks) without the engine. Each
# answers with the resources of the types on which hoplint passes a hop of the generated stacks, as the entities
# the pack's own record_entity makes of them (its source and constants are copied in), so checkov records the
# same results as with the pack (tests/test_bench_control.py). What the control costs is checkov's own work for
# the pack's results; what the pack costs beyond it is hoplint's. Information rules (HOP206) have no control
# check: checkov runs theirs only when --check names it, and the bench runs checkov without --check.
NO_OP_CHECK = """from checkov.common.bridgecrew.severities import Severities
from checkov.common.checks_infra.registry import get_graph_checks_registry
from checkov.common.graph.checks_infra.base_check import BaseGraphCheck
from checkov.common.graph.checks_infra.enums import SolverType
from checkov.common.graph.checks_infra.solvers.base_solver import BaseSolver
from checkov.runner_filter import RunnerFilter
from typing import Any

RECORD_ATTRIBUTES = {record_attributes!r}
TERRAFORM_RECORD_ATTRIBUTES = {terraform_record_attributes!r}
CLOUDFORMATION_SUBJECT_TYPES = {cloudformation_subject_types!r}


{record_entity}

{record_config}

class NoOpSolver(BaseSolver):
    def __init__(self):
        super().__init__(SolverType.COMPLEX)

    def run(self, graph_connector):
        passed = []
        for _, vertex in graph_connector.nodes():
            if vertex.get("block_type_") == "resource" and vertex.get("resource_type") in {passed!r}:
                passed.append(record_entity(vertex))
        return passed, [], []


class NoOpCheck(BaseGraphCheck):
    def __init__(self):
        super().__init__()
        self.id, self.name, self.guideline, self.category = {id!r}, {name!r}, {guideline!r}, "NETWORKING"
        self.resource_types = {types!r}
        self.severity = Severities[{severity!r}]
        self.set_solver(NoOpSolver())
        for framework in ("cloudformation", "terraform"):
            registry = get_graph_checks_registry(framework)
            if not any(check.id == self.id for check in registry.checks):
                registry.checks.append(self)
        RunnerFilter.notify_external_check(self.id)


check = NoOpCheck()
"""


def passed_types(judged_counts: dict) -> dict:
    """Rule id -> the CloudFormation types of the resources it passes, from judged()'s counts."""
    types: dict = {}
    for rule_id, kind in judged_counts:
        types.setdefault(rule_id, set()).add(kind)
    return types


def write_no_op_pack(directory: Path, passed_types: dict) -> Path:
    """The control pack (NO_OP_CHECK for every rule); `passed_types`: rule id -> CloudFormation types."""
    from policies import RULES

    checks = pack_module()
    directory.mkdir(parents=True)
    (directory / "__init__.py").write_text("")
    for rule in (rule for rule in RULES.values() if not rule.informational):
        passed = sorted(passed_types.get(rule.id, set()))
        passed += [stacks.TERRAFORM_TYPE_OF[kind] for kind in passed]
        (directory / f"no_op_{rule.id.lower()}.py").write_text(NO_OP_CHECK.format(
            name=rule.title, id=rule.checkov_id, types=[*rule.cloudformation_types(), *rule.terraform_types()],
            guideline=rule.doc_url, passed=set(passed), severity=checks.SEVERITY_OF_RULE[rule.severity].name,
            record_attributes=checks.RECORD_ATTRIBUTES, terraform_record_attributes=checks.TERRAFORM_RECORD_ATTRIBUTES,
            cloudformation_subject_types=checks.CLOUDFORMATION_SUBJECT_TYPES,
            record_entity=inspect.getsource(checks.record_entity),
            record_config=inspect.getsource(checks.record_config)))
    return directory


def pack_module():
    """hoplint's checkov checks module, imported as checkov's check files import it."""
    sys.path.insert(0, str(CHECKOV_CHECKS))
    try:
        return importlib.import_module("hoplint_checkov.hoplint_checks")
    finally:
        sys.path.remove(str(CHECKOV_CHECKS))


def compile_bytecode(directories: tuple) -> None:
    """Compile the packs' modules first, as pip does on install: the tools themselves are installed with
    their bytecode, and with PYTHONDONTWRITEBYTECODE set (as on some CI machines) every run would otherwise
    compile the packs from source, a cost no installed pack has."""
    for directory in directories:
        compileall.compile_dir(directory, quiet=1)


@dataclass
class Comparison:
    """One tool on one stack: without the pack, with it, and (checkov) with the no-op control pack."""

    tool: str  # "checkov" or "cfn-lint"
    framework: str  # "cloudformation" or "terraform"
    services: int
    resources: int
    target: Path
    pack_results: int  # results the pack must add (checkov), one per hop judged
    max_overhead: float
    no_op_pack: Path | None = None
    layout: str = ""  # "module calls": the Terraform design made of calls of a local module
    runs: dict = field(default_factory=dict)  # variant -> [Measured]

    @property
    def label(self) -> str:
        layout = f" ({self.layout})" if self.layout else ""
        return f"{self.tool} {self.framework}{layout} {self.services} services"

    @property
    def variants(self) -> tuple:
        return ("without", "with", "no-op") if self.no_op_pack else ("without", "with")

    def command(self, variant: str) -> list:
        if self.tool == "cfn-lint":
            pack = ["--append-rules", str(CFN_LINT_RULES)] if variant == "with" else []
            templates = self.target / "**" / "*.yaml" if self.target.is_dir() else self.target  # cfn-lint globs
            return [str(TOOLS_DIR / "cfn-lint"), *pack, "--", str(templates)]
        scanned = ["-f", str(self.target)] if self.target.is_file() else ["-d", str(self.target)]
        checks = {"without": None, "with": CHECKOV_CHECKS, "no-op": self.no_op_pack}[variant]
        pack = ["--external-checks-dir", str(checks)] if checks else []
        return [str(TOOLS_DIR / "checkov"), *scanned, "--framework", self.framework, "--skip-download",
                "--quiet", "--compact", *pack]

    def measure(self, variant: str, cwd: Path) -> Measured:
        run = run_measured(self.command(variant), cwd)
        self.check(run, variant)
        self.runs.setdefault(variant, []).append(run)
        return run

    def check(self, run: Measured, variant: str) -> None:
        """Every run must do its whole job: a run that broke early would look fast."""
        if self.tool == "cfn-lint":
            if run.returncode != 0 or run.stdout.strip():
                raise SystemExit(f"{self.label} ({variant} the pack): cfn-lint reported something, but the stacks "
                                 f"are clean:\n{run.stdout}{run.stderr}")
            return
        summary = SUMMARY.search(run.stdout)
        if run.returncode not in (0, 1) or summary is None or "Traceback" in run.stderr:
            raise SystemExit(f"{self.label} ({variant}): checkov failed:\n{run.stdout[-2000:]}{run.stderr[-4000:]}")
        if "hoplint: " in run.stderr:
            raise SystemExit(f"{self.label}: the pack could not judge the stack:\n{run.stderr[-4000:]}")
        if variant == "without" or "without" not in self.runs:  # counted earlier (--pack-only): not compared
            return
        # The first round runs "without" first.
        passed, *others = map(int, summary.groups())
        base_passed, *base_others = map(int, SUMMARY.search(self.runs["without"][0].stdout).groups())
        if (passed - base_passed, others) != (self.pack_results, base_others):
            raise SystemExit(f"{self.label} ({variant}): expected {self.pack_results} more passed checks and nothing "
                             f"else; passed, failed, skipped: without {[base_passed, *base_others]}, "
                             f"{variant} {[passed, *others]}")

    def summary(self) -> dict:
        seconds = {variant: [run.seconds for run in runs] for variant, runs in self.runs.items()}

        def ratios(variant: str, base: str = "without") -> list:
            return [w / wo - 1 for w, wo in zip(seconds[variant], seconds[base])]

        def overhead(variant: str, base: str = "without") -> float:
            return round(statistics.median(ratios(variant, base)), 4)

        summary = {
            "tool": self.tool,
            "framework": self.framework,
            **({"layout": self.layout} if self.layout else {}),
            "services": self.services,
            "resources": self.resources,
            "runs": len(seconds["without"]),
            "without_s": round(statistics.median(seconds["without"]), 3),
            "with_s": round(statistics.median(seconds["with"]), 3),
            "overhead": overhead("with"),
            # The middle half of the paired ratios: how much the machine's speed moved the runs.
            "overhead_interquartile": [round(q, 4) for q in interquartile(ratios("with"))],
            **{f"{variant.replace('-', '_')}_max_rss_mb": round(statistics.median(run.max_rss_mb for run in runs), 1)
               for variant, runs in self.runs.items()},
        }
        if "no-op" in seconds:
            summary["no_op_s"] = round(statistics.median(seconds["no-op"]), 3)
            summary["no_op_overhead"] = overhead("no-op")
            summary["own_overhead"] = overhead("with", "no-op")  # hoplint's share: with the pack over the control
        summary["runs_s"] = {variant: [round(s, 3) for s in values] for variant, values in seconds.items()}
        return summary


def interquartile(values: list) -> tuple:
    """(first quartile, third quartile) of `values`."""
    first, _, third = statistics.quantiles(values, n=4, method="inclusive")
    return first, third


# -- instructions instead of seconds (--instructions) ---------------------------------------------------------

# The largest CloudFormation stack: under valgrind a run takes minutes.
INSTRUCTIONS_SERVICES = 124
# And an application of stacks.APPLICATION_STACKS stacks (a network stack exporting, service stacks importing,
# a parent nesting the others), one service per service stack: checkov -d over its directory, cfn-lint over
# all its templates in one run.
APPLICATION_LAYOUT = f"application of {stacks.APPLICATION_STACKS} stacks"
INSTRUCTIONS_APPLICATION_SERVICES = stacks.APPLICATION_STACKS - 2


def count_instructions(command: list, cwd: Path) -> tuple:
    """(instructions `command` executes, its child processes included, the run): valgrind's callgrind counts
    the same on every run, whatever else the machine does, where wall time moves by several percent."""
    run = run_measured(["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", "--trace-children=yes",
                        sys.executable, *command], cwd, {"PYTHONHASHSEED": "0"})  # the same dict orders every run
    counts = re.findall(r"^==\d+== Collected : (\d+)$", run.stderr, re.MULTILINE)
    if run.returncode not in (0, 1) or not counts:
        raise SystemExit(f"valgrind failed on {command}:\n{run.stderr[-4000:]}")
    return sum(map(int, counts)), run


def instruction_rows(comparisons: list, cwd: Path, baselines: dict | None = None) -> list:
    """Every variant of the comparisons at INSTRUCTIONS_SERVICES, counted once, as many at a time as cores.

    `baselines` (see previous_baselines) gives the counts of the runs without the pack and with the control
    pack: then only the runs with the pack are counted."""
    baselines = baselines or {}
    chosen = [comparison for comparison in comparisons
              if comparison.services == INSTRUCTIONS_SERVICES or comparison.layout == APPLICATION_LAYOUT]
    jobs = [(comparison, variant) for comparison in chosen for variant in comparison.variants
            if variant not in baselines.get(row_key(comparison), {})]
    print(f"counting instructions of {len(jobs)} runs under valgrind (minutes each)", flush=True)
    with ThreadPoolExecutor(os.cpu_count() or 1) as pool:
        counted = list(pool.map(lambda job: count_instructions(job[0].command(job[1]), cwd), jobs))
    rows = []
    for comparison in chosen:
        counts = dict(baselines.get(row_key(comparison), {}))
        for (owner, variant), (instructions, run) in zip(jobs, counted):
            if owner is comparison:  # "without" comes first: the other runs are checked against it
                comparison.check(run, variant)
                comparison.runs.setdefault(variant, []).append(run)
                counts[variant] = instructions
        row = {"tool": comparison.tool, "framework": comparison.framework,
               **({"layout": comparison.layout} if comparison.layout else {}), "services": comparison.services,
               "resources": comparison.resources, "instructions": counts,
               "overhead": round(counts["with"] / counts["without"] - 1, 4), "max_overhead": comparison.max_overhead}
        if row_key(comparison) in baselines:
            row["baselines_from"] = baselines["from"]
        if "no-op" in counts:
            row["no_op_overhead"] = round(counts["no-op"] / counts["without"] - 1, 4)
            row["own_overhead"] = round(counts["with"] / counts["no-op"] - 1, 4)
        rows.append(row)
    return rows


def row_key(row: Any) -> tuple:
    """A comparison or an instructions row, as the other one names it."""
    get = (lambda name: row.get(name, "")) if isinstance(row, dict) else (lambda name: getattr(row, name))
    return get("tool"), get("framework"), get("layout"), get("services")


def previous_baselines(path: Path, tools: dict) -> dict:
    """The counts without the pack and with the control pack of the instructions file at `path`, by row_key,
    when it was counted with the same checkov, cfn-lint and Python: they do not run hoplint's engine, so a
    change to the engine leaves them as they were."""
    previous = json.loads(path.read_text())
    if previous.get("tools") != tools or previous.get("machine", {}).get("python") != platform.python_version():
        raise SystemExit(f"{path} was counted with other tools ({previous.get('tools')}): count every run")
    baselines: dict = {"from": previous["date"]}
    for row in previous["instructions"]:
        baselines[row_key(row)] = {variant: count for variant, count in row["instructions"].items() if variant != "with"}
    return baselines


def own_share_target(row: dict) -> dict:
    share = row.get("own_overhead", row["overhead"])
    layout = f" ({row['layout']})" if row.get("layout") else ""
    return {"target": f"{row['tool']} {row['framework']}{layout}, {row['services']} services: hoplint's own share at "
                      f"most {OWN_MAX_SHARE:.0%} of instructions", "measured": f"{share:+.1%}",
            "passed": share <= OWN_MAX_SHARE}


def print_instruction_rows(rows: list) -> None:
    print("\nInstructions executed (valgrind --tool=callgrind, every process; overhead = with / without - 1)")
    print(f"{'tool':9}{'framework':15}{'services':>9}{'without':>12}{'with':>12}{'overhead':>10}{'no-op':>8}"
          f"{'own':>8}")
    for row in rows:
        counts = row["instructions"]
        no_op = f"{row['no_op_overhead']:+.1%}" if "no_op_overhead" in row else "-"
        own = f"{row['own_overhead']:+.1%}" if "own_overhead" in row else "-"
        framework = row["framework"] + {"module calls": "+modules", APPLICATION_LAYOUT: " app"}.get(row.get("layout"), "")
        print(f"{row['tool']:9}{framework:15}{row['services']:>9}{counts['without'] / 1e9:>11.2f}G"
              f"{counts['with'] / 1e9:>11.2f}G{row['overhead']:>+10.1%}{no_op:>8}{own:>8}")


# -- the engine alone, in a fresh process per size ----------------------------------------------------------

def forget_reads_and_analyses() -> None:
    """Empty the engine's caches: the files it read (one read per file and content in a run) and its analyses."""
    from policies import cache
    from policies.cloudformation import loader

    cache._cache.clear()
    loader._reads.clear()


def engine_tasks(yaml_path: Path, json_path: Path) -> dict:
    """name -> task: the engine on both renderings, and parsing them without the engine."""
    import policies

    c_loader = stacks.short_form_loader(yaml.CSafeLoader)
    python_loader = stacks.short_form_loader(yaml.SafeLoader)

    def engine(path: Path) -> Callable:
        def analyse():
            forget_reads_and_analyses()  # every run reads the file and builds the analysis
            return policies.analyze_file(str(path))
        return analyse

    return {
        "parse_json": lambda: json.loads(json_path.read_bytes()),
        "parse_yaml_c": lambda: yaml.load(yaml_path.read_text(), Loader=c_loader),  # noqa: S506
        "parse_yaml_python": lambda: yaml.load(yaml_path.read_text(), Loader=python_loader),  # noqa: S506
        "engine_yaml": engine(yaml_path),
        "engine_json": engine(json_path),
    }


def engine_worker(yaml_path: str, json_path: str, runs: int) -> None:
    """Time every task `runs` times, interleaved, then measure each one's allocation peak; print JSON."""
    tasks = engine_tasks(Path(yaml_path), Path(json_path))
    seconds: dict = {name: [] for name in tasks}
    for _ in range(runs):
        for name, task in tasks.items():
            start = time.perf_counter()
            result = task()
            seconds[name].append(time.perf_counter() - start)
            del result
    peaks = {}
    for name, task in tasks.items():  # tracemalloc slows every allocation: not while timing
        gc.collect()
        tracemalloc.start()
        result = task()
        peaks[name] = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        del result
    print(json.dumps({"seconds": seconds, "peak_bytes": peaks}))


def measure_engine(services: int, yaml_path: Path, json_path: Path, cwd: Path) -> dict:
    command = [sys.executable, str(Path(__file__).resolve()), "--engine-worker", str(yaml_path), str(json_path),
               str(ENGINE_RUNS)]
    run = run_measured(command, cwd)
    if run.returncode != 0:
        raise SystemExit(f"engine worker failed on {services} services:\n{run.stderr}")
    measured = json.loads(run.stdout)
    medians = {name: statistics.median(values) for name, values in measured["seconds"].items()}
    resources = stacks.cloudformation_resource_count(services)
    return {
        "services": services,
        "resources": resources,
        "runs": ENGINE_RUNS,
        **{f"{name}_s": round(value, 5) for name, value in medians.items()},
        "engine_over_parse_yaml_c": round(medians["engine_yaml"] / medians["parse_yaml_c"], 2),
        "engine_over_parse_json": round(medians["engine_json"] / medians["parse_json"], 2),
        "engine_us_per_resource": round(medians["engine_yaml"] / resources * 1e6, 1),
        "peak_mb": {name: round(peak / 2**20, 2) for name, peak in measured["peak_bytes"].items()},
        "worker_max_rss_mb": round(run.max_rss_mb, 1),
    }


def application_worker(directory: str, single: str, runs: int) -> None:
    """Time the engine on an application's templates and on the single template of the same services, `runs`
    times each, interleaved; print JSON."""
    from policies.analysis import analyze_file, analyze_paths

    paths = sorted(str(path) for path in Path(directory).rglob("*.yaml"))
    tasks = {"application": lambda: analyze_paths(paths), "single": lambda: analyze_file(single)}
    seconds: dict = {name: [] for name in tasks}
    for _ in range(runs):
        for name, task in tasks.items():
            forget_reads_and_analyses()
            start = time.perf_counter()
            task()
            seconds[name].append(time.perf_counter() - start)
    scan = analyze_paths(paths)
    verdicts = {finding.verdict.value for analysis in scan.analyses for finding in analysis.findings}
    print(json.dumps({"seconds": seconds, "applications": len(scan.analyses), "verdicts": sorted(verdicts),
                      "stacks": sum(len(analysis.application.stacks) for analysis in scan.analyses)}))


def measure_application(services: int, single: Path, work: Path) -> dict:
    """The engine on the application of APPLICATION_STACKS stacks (stacks.cloudformation_application) against
    the single template of the same services: time per resource."""
    directory = stacks.write_cloudformation_application(work / "applications", services)[0].parent
    command = [sys.executable, str(Path(__file__).resolve()), "--application-worker", str(directory), str(single),
               str(ENGINE_RUNS)]
    run = run_measured(command, work)
    if run.returncode != 0:
        raise SystemExit(f"application worker failed on {services} services:\n{run.stderr}")
    measured = json.loads(run.stdout)
    if measured["applications"] != 1 or measured["verdicts"] != ["PASSED"]:
        raise SystemExit(f"the application of {services} services is not one application with every hop PASSED: "
                         f"{measured}")
    medians = {name: statistics.median(values) for name, values in measured["seconds"].items()}
    resources = {"application": stacks.application_resource_count(services),
                 "single": stacks.cloudformation_resource_count(services)}
    per_resource = {name: medians[name] / resources[name] * 1e6 for name in medians}
    return {"services": services, "stacks": measured["stacks"], "runs": ENGINE_RUNS,
            "resources": resources, "seconds": {name: round(value, 5) for name, value in medians.items()},
            "us_per_resource": {name: round(value, 1) for name, value in per_resource.items()},
            "factor": round(per_resource["application"] / per_resource["single"], 2)}


def terraform_evaluation_worker(directory: str, runs: int) -> None:
    """Time hoplint's evaluation of the module-call configuration in `directory` and its analysis, `runs`
    times, then measure the allocation peak; print JSON. Every hop must pass."""
    from policies import Verdict
    from policies.collector import collector_paused
    from policies.terraform_analysis import analyze_terraform
    from policies.terraform.hcl.evaluation import ConfigurationFiles, evaluate_configuration

    files: dict = {}
    for path in sorted(Path(directory).rglob("*.tf")):
        files.setdefault(str(path.parent), []).append(str(path))
    # Each svcNNNN.tf calls module "svcNNNN", whose files are modules/service/ (what checkov's graph would say).
    module = str(Path(directory, "modules", "service"))
    calls = {(Path(path).stem,): module for path in files[directory] if Path(path).stem.startswith("svc")}
    configuration = ConfigurationFiles(directory, {(): directory, **calls}, files)

    def evaluate_and_analyse():
        with collector_paused():  # as read_graph runs inside the engine's cached analysis
            return analyze_terraform(evaluate_configuration(configuration), directory)

    seconds = []
    for _ in range(runs):
        start = time.perf_counter()
        analysis = evaluate_and_analyse()
        seconds.append(time.perf_counter() - start)
    if analysis.problems or {finding.verdict for finding in analysis.findings} != {Verdict.PASSED}:
        raise SystemExit(f"{directory}: expected every hop PASSED, got {analysis.problems or analysis.findings}")
    gc.collect()
    tracemalloc.start()
    evaluate_and_analyse()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    print(json.dumps({"seconds": seconds, "peak_bytes": peak, "findings": len(analysis.findings)}))


def measure_terraform_evaluation(work: Path) -> list:
    """Per size, in a fresh process: hoplint's evaluation and analysis of the module-call configuration."""
    rows = []
    for services in TERRAFORM_EVALUATION_SIZES:
        directory = stacks.write_terraform(work / "terraform", services, module_calls=True)
        run = run_measured([sys.executable, str(Path(__file__).resolve()), "--terraform-evaluation-worker",
                            str(directory), str(ENGINE_RUNS)], work)
        if run.returncode != 0:
            raise SystemExit(f"terraform evaluation worker failed on {services} services:\n{run.stderr}")
        measured = json.loads(run.stdout)
        median = statistics.median(measured["seconds"])
        resources = stacks.terraform_resource_count(services)
        rows.append({"services": services, "resources": resources, "runs": ENGINE_RUNS,
                     "evaluation_and_analysis_s": round(median, 4),
                     "us_per_resource": round(median / resources * 1e6, 1),
                     "peak_mb": round(measured["peak_bytes"] / 2**20, 2), "findings": measured["findings"]})
        print(f"terraform evaluation, {services} services: {median * 1e3:.0f} ms", flush=True)
    return rows


def terraform_evaluation_target(rows: list) -> dict:
    by_size = {row["services"]: row for row in rows}
    largest = by_size[max(by_size)]
    factor = largest["us_per_resource"] / by_size[ENGINE_LINEARITY_MID_SIZE]["us_per_resource"]
    return {"target": f"Terraform evaluation linear: time per resource at {largest['services']} module calls "
                      f"({largest['resources']} resources) within {ENGINE_LINEARITY_MAX_FACTOR:g}x of "
                      f"{ENGINE_LINEARITY_MID_SIZE}",
            "measured": f"{factor:.2f}x", "passed": factor <= ENGINE_LINEARITY_MAX_FACTOR}


def print_terraform_evaluation(rows: list) -> None:
    print(f"\nTerraform evaluation of module calls (median of {ENGINE_RUNS} runs, a fresh process per size; "
          f"peak = tracemalloc)")
    print(f"{'services':>8}{'resources':>10}{'evaluate + analyse':>20}{'us/res':>9}{'peak MB':>9}")
    for row in rows:
        print(f"{row['services']:>8}{row['resources']:>10}{row['evaluation_and_analysis_s'] * 1e3:>18.0f}ms"
              f"{row['us_per_resource']:>9.0f}{row['peak_mb']:>9.1f}")


def linear_fit(engine_rows: list) -> dict:
    """Least-squares engine time = fixed + per_resource * resources, over every size."""
    xs = [row["resources"] for row in engine_rows]
    ys = [row["engine_yaml_s"] for row in engine_rows]
    mean_x, mean_y = statistics.fmean(xs), statistics.fmean(ys)
    slope = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys)) / sum((x - mean_x) ** 2 for x in xs)
    fixed = mean_y - slope * mean_x
    residual = sum((y - fixed - slope * x) ** 2 for x, y in zip(xs, ys))
    total = sum((y - mean_y) ** 2 for y in ys)
    return {"fixed_s": round(fixed, 5), "per_resource_us": round(slope * 1e6, 1), "r_squared": round(1 - residual / total, 4)}


# -- the run ------------------------------------------------------------------------------------------------

def judged(yaml_path: Path) -> dict:
    """(rule id, resource type) -> how many resources of that type the pack passes on a generated stack, and
    checkov records: information rules (HOP206) left out, checkov runs them only when --check names them.

    Every hop of the generated stacks is open, so every result must be PASSED: anything else is a broken
    generator (or engine), and the timings would not be of the work the pack does on a good stack.
    """
    import policies

    analysis = policies.analyze_file(str(yaml_path))
    verdicts = {(f.rule_id, f.resource_type, f.resource): f.verdict for f in analysis.findings}
    if analysis.problems or set(verdicts.values()) != {policies.Verdict.PASSED}:
        raise SystemExit(f"{yaml_path.name}: expected every hop PASSED, got {analysis.problems or analysis.findings}")
    counts: dict = {}
    for rule_id, kind, _ in verdicts:
        if not policies.RULES[rule_id].informational:
            counts[rule_id, kind] = counts.get((rule_id, kind), 0) + 1
    return counts


def tool_version(tool: str) -> str:
    process = subprocess.run([str(TOOLS_DIR / tool), "--version"], capture_output=True, text=True, check=False)
    return (process.stdout or process.stderr).strip().splitlines()[-1] if process.returncode == 0 else "unknown"


def tools() -> dict:
    return {"checkov": tool_version("checkov"), "cfn-lint": tool_version("cfn-lint"), "pyyaml": yaml.__version__,
            "libyaml": yaml.__with_libyaml__}


def machine() -> dict:
    cpu = "unknown"
    try:
        cpu = next(line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                   if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return {"cpu": cpu, "cores": os.cpu_count(), "system": platform.platform(), "python": platform.python_version()}


def targets(comparisons: list, engine_rows: list, application_rows: list) -> list:
    checked = []
    for comparison in comparisons:
        summary = comparison.summary()
        checked.append({
            "target": f"{comparison.label}: pack adds at most {comparison.max_overhead:.0%}",
            "measured": f"{summary['overhead']:+.1%}",
            "passed": summary["overhead"] <= comparison.max_overhead,
        })
    by_size = {row["services"]: row for row in engine_rows}
    largest = by_size[max(by_size)]
    factor = largest["engine_us_per_resource"] / by_size[ENGINE_LINEARITY_MID_SIZE]["engine_us_per_resource"]
    checked.append({
        "target": f"engine linear: time per resource at {largest['services']} services ({largest['resources']} "
                  f"resources) within {ENGINE_LINEARITY_MAX_FACTOR:g}x of {ENGINE_LINEARITY_MID_SIZE} services",
        "measured": f"{factor:.2f}x",
        "passed": factor <= ENGINE_LINEARITY_MAX_FACTOR,
    })
    for row in application_rows:
        checked.append({
            "target": f"engine on an application of {row['stacks']} stacks ({row['services']} services): time per "
                      f"resource within {APPLICATION_MAX_FACTOR:g}x of one template of the same services",
            "measured": f"{row['factor']:.2f}x",
            "passed": row["factor"] <= APPLICATION_MAX_FACTOR,
        })
    return checked


def print_tables(comparisons: list, engine_rows: list, fit: dict, application_rows: list) -> None:
    print("\nOverhead of the pack (medians of paired runs; overhead = median of with / without, minus 1, and the"
          " middle half of those ratios; no-op = the control pack, checkov's own cost for the pack's results;"
          " own = with / no-op, hoplint's share)")
    print(f"{'tool':9}{'framework':15}{'services':>9}{'resources':>10}{'without':>10}{'with':>10}{'overhead':>10}"
          f"{'middle half':>17}{'no-op':>8}{'own':>8}{'max RSS without / no-op / with':>33}")
    for comparison in comparisons:
        s = comparison.summary()
        no_op = f"{s['no_op_overhead']:+.1%}" if "no_op_overhead" in s else "-"
        own = f"{s['own_overhead']:+.1%}" if "own_overhead" in s else "-"
        low, high = s["overhead_interquartile"]
        rss = " / ".join(f"{s[f'{variant}_max_rss_mb']:.0f}" for variant in ("without", "no_op", "with")
                         if f"{variant}_max_rss_mb" in s)
        framework = s["framework"] + ("+modules" if s.get("layout") else "")
        print(f"{s['tool']:9}{framework:15}{s['services']:>9}{s['resources']:>10}{s['without_s']:>9.2f}s"
              f"{s['with_s']:>9.2f}s{s['overhead']:>+10.1%}{f'{low:+.1%} .. {high:+.1%}':>17}{no_op:>8}{own:>8}"
              f"{rss:>30} MB")
    print(f"\nEngine alone (median of {ENGINE_RUNS} runs in one process; peak = tracemalloc)")
    print(f"{'services':>8}{'resources':>10}{'json.loads':>11}{'yaml C':>9}{'yaml Py':>9}{'engine':>9}"
          f"{'engine':>9}{'engine /':>10}{'engine':>11}{'peak MB':>17}")
    print(f"{'':>8}{'':>10}{'(json)':>11}{'(yaml)':>9}{'(yaml)':>9}{'(yaml)':>9}{'(json)':>9}{'yaml C':>10}"
          f"{'us/res':>11}{'yaml C / engine':>17}")
    for row in engine_rows:
        print(f"{row['services']:>8}{row['resources']:>10}{row['parse_json_s']*1e3:>9.1f}ms"
              f"{row['parse_yaml_c_s']*1e3:>7.1f}ms{row['parse_yaml_python_s']*1e3:>7.0f}ms"
              f"{row['engine_yaml_s']*1e3:>7.1f}ms{row['engine_json_s']*1e3:>7.1f}ms"
              f"{row['engine_over_parse_yaml_c']:>9.1f}x{row['engine_us_per_resource']:>11.0f}"
              f"{row['peak_mb']['parse_yaml_c']:>9.1f} / {row['peak_mb']['engine_yaml']:.1f}")
    print(f"fit: engine = {fit['fixed_s']*1e3:.1f} ms + {fit['per_resource_us']:.0f} us x resources "
          f"(R^2 {fit['r_squared']})")
    print(f"\nEngine on an application of {stacks.APPLICATION_STACKS} stacks against one template of the same "
          f"services (median of {ENGINE_RUNS} runs)")
    print(f"{'services':>8}{'resources':>17}{'application':>13}{'single':>9}{'us/res':>17}{'factor':>8}")
    for row in application_rows:
        resources, seconds, per = row["resources"], row["seconds"], row["us_per_resource"]
        print(f"{row['services']:>8}{resources['application']:>9} / {resources['single']:<5}"
              f"{seconds['application']*1e3:>11.1f}ms{seconds['single']*1e3:>7.1f}ms"
              f"{per['application']:>9.0f} / {per['single']:<5.0f}{row['factor']:>7.2f}x")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=7, help="paired runs per tool and size (default 7)")
    parser.add_argument("--instructions", action="store_true",
                        help=f"count instructions under valgrind at {INSTRUCTIONS_SERVICES} services instead of "
                             "timing every size (about 20 minutes on 2 cores)")
    parser.add_argument("--pack-only", action="store_true",
                        help="with --instructions: count only the runs with the pack, taking the runs without it "
                             "and with the control pack from the instructions file (same tools required)")
    parser.add_argument("--output", type=Path, help="results file (default benchmarks/results.json, "
                                                    "or benchmarks/instructions.json with --instructions)")
    parser.add_argument("--terraform-evaluation", action="store_true",
                        help="only time hoplint's evaluation of the module-call Terraform configurations (seconds)")
    parser.add_argument("--engine-worker", nargs=3, metavar=("YAML", "JSON", "RUNS"), help=argparse.SUPPRESS)
    parser.add_argument("--application-worker", nargs=3, metavar=("DIRECTORY", "SINGLE", "RUNS"),
                        help=argparse.SUPPRESS)
    parser.add_argument("--terraform-evaluation-worker", nargs=2, metavar=("DIR", "RUNS"), help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.engine_worker:
        yaml_path, json_path, runs = arguments.engine_worker
        engine_worker(yaml_path, json_path, int(runs))
        return 0
    if arguments.application_worker:
        directory, single, runs = arguments.application_worker
        application_worker(directory, single, int(runs))
        return 0
    if arguments.terraform_evaluation_worker:
        directory, runs = arguments.terraform_evaluation_worker
        terraform_evaluation_worker(directory, int(runs))
        return 0
    if arguments.terraform_evaluation:
        with tempfile.TemporaryDirectory(prefix="hoplint-bench-") as temporary:
            rows = measure_terraform_evaluation(Path(temporary))
        print_terraform_evaluation(rows)
        target = terraform_evaluation_target(rows)
        print(f"\n  {'PASS' if target['passed'] else 'FAIL'}  {target['target']}: {target['measured']}")
        return 0 if target["passed"] else 1
    output = arguments.output or Path(__file__).with_name(
        "instructions.json" if arguments.instructions else "results.json")

    started, load_before = time.monotonic(), os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="hoplint-bench-") as temporary:
        work = Path(temporary)
        templates, comparisons = prepare(work, application=arguments.instructions)
        if arguments.instructions:
            baselines = previous_baselines(output, tools()) if arguments.pack_only else None
            rows = instruction_rows(comparisons, work, baselines)
        else:
            measure_seconds(comparisons, arguments.runs, work)
            engine_rows = []
            for n in ENGINE_SIZES:
                engine_rows.append(measure_engine(n, *templates[n], work))
                print(f"engine alone, {n} services: {engine_rows[-1]['engine_yaml_s'] * 1e3:.1f} ms", flush=True)
            application_rows = [measure_application(n, templates[n][0], work) for n in APPLICATION_SIZES]
            evaluation_rows = measure_terraform_evaluation(work)

    results = {
        "command": ("python benchmarks/bench.py --instructions" + (" --pack-only" if arguments.pack_only else "")
                    if arguments.instructions else "make bench"),
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "minutes": round((time.monotonic() - started) / 60, 1),
        "machine": machine(),
        "load_average_1min": {"start": round(load_before[0], 2), "end": round(os.getloadavg()[0], 2)},
        "tools": tools(),
        "flags": {
            "checkov": "-f FILE | -d DIR, --framework F --skip-download --quiet --compact "
                       "[--external-checks-dir custom_checks/checkov]; env CKV_SKIP_PACKAGE_UPDATE_CHECK=true "
                       "BC_SKIP_MAPPING=TRUE",
            "cfn-lint": "[--append-rules custom_checks/cfn_lint] -- FILE",
        },
    }
    if arguments.instructions:
        print_instruction_rows(rows)
        checked = [{"target": f"{row['tool']} {row['framework']}, {row['services']} services: pack adds at most "
                              f"{row['max_overhead']:.0%} instructions",
                    "measured": f"{row['overhead']:+.1%}", "passed": row["overhead"] <= row["max_overhead"]}
                   for row in rows] + [own_share_target(row) for row in rows]
        results.update(instructions=rows, targets=checked)
    else:
        fit = linear_fit(engine_rows)
        checked = targets(comparisons, engine_rows, application_rows) + [terraform_evaluation_target(evaluation_rows)]
        print_tables(comparisons, engine_rows, fit, application_rows)
        print_terraform_evaluation(evaluation_rows)
        results.update(overhead=[comparison.summary() for comparison in comparisons], engine=engine_rows,
                       engine_fit=fit, application=application_rows, terraform_evaluation=evaluation_rows,
                       targets=checked)
    print("\nTargets")
    for target in checked:
        print(f"  {'PASS' if target['passed'] else 'FAIL'}  {target['target']}: {target['measured']}")
    output.write_text(json.dumps(results, indent=2) + "\n")
    print(f"\nwritten to {output} in {results['minutes']} minutes")
    return 0 if all(target["passed"] for target in checked) else 1


def prepare(work: Path, application: bool = False) -> tuple:
    """(CloudFormation templates by size, every Comparison), the stacks written under `work`; `application`: with
    the comparisons on an application of stacks (APPLICATION_LAYOUT)."""
    templates = {n: stacks.write_cloudformation(work / "cloudformation", n) for n in ENGINE_SIZES}
    judged_counts = {n: judged(templates[n][0]) for n in ENGINE_SIZES}
    pack_results = {n: sum(counts.values()) for n, counts in judged_counts.items()}
    no_op_pack = write_no_op_pack(work / "no_op_checks", passed_types(judged_counts[max(ENGINE_SIZES)]))
    compile_bytecode((REPO_ROOT / "policies", CHECKOV_CHECKS, CFN_LINT_RULES, no_op_pack))
    comparisons = []
    for n in CLOUDFORMATION_SIZES:
        resources = stacks.cloudformation_resource_count(n)
        comparisons.append(Comparison("checkov", "cloudformation", n, resources, templates[n][0],
                                      pack_results[n], CHECKOV_MAX_OVERHEAD, no_op_pack))
        comparisons.append(Comparison("cfn-lint", "cloudformation", n, resources, templates[n][0], 0,
                                      CFN_LINT_MAX_OVERHEAD))
    for n in TERRAFORM_SIZES:
        # The Terraform twin has the same services and hops as the CloudFormation template.
        comparisons.append(Comparison("checkov", "terraform", n, stacks.terraform_resource_count(n),
                                      stacks.write_terraform(work / "terraform", n), pack_results[n],
                                      CHECKOV_MAX_OVERHEAD, no_op_pack))
    for n in TERRAFORM_MODULE_SIZES:
        comparisons.append(Comparison("checkov", "terraform", n, stacks.terraform_resource_count(n),
                                      stacks.write_terraform(work / "terraform", n, module_calls=True),
                                      pack_results[n], CHECKOV_MAX_OVERHEAD, no_op_pack, layout="module calls"))
    if application:
        services = INSTRUCTIONS_APPLICATION_SERVICES
        single = stacks.write_cloudformation(work / "cloudformation", services)[0]
        directory = stacks.write_cloudformation_application(work / "applications", services)[0].parent
        results = sum(judged(single).values())  # the same services, split into stacks: the same results
        for tool, maximum, control in (("checkov", CHECKOV_MAX_OVERHEAD, no_op_pack),
                                       ("cfn-lint", CFN_LINT_MAX_OVERHEAD, None)):
            comparisons.append(Comparison(tool, "cloudformation", services, stacks.application_resource_count(services),
                                          directory, results if tool == "checkov" else 0, maximum, control,
                                          layout=APPLICATION_LAYOUT))
    print(f"stacks in {work}: CloudFormation " + ", ".join(
        f"{n} services = {stacks.cloudformation_resource_count(n)} resources" for n in CLOUDFORMATION_SIZES)
        + "; Terraform " + ", ".join(
        f"{n} = {stacks.terraform_resource_count(n)}" for n in TERRAFORM_SIZES), flush=True)
    return templates, comparisons


def measure_seconds(comparisons: list, runs: int, cwd: Path) -> None:
    """`runs` rounds; in each, every comparison's variants back to back, in an order that rotates."""
    total = runs * sum(len(comparison.variants) for comparison in comparisons)
    done = 0
    for round_number in range(runs):
        for comparison in comparisons:
            # Rotate which variant goes first, so none always runs on a warmer (or busier) machine.
            shift = round_number % len(comparison.variants)
            for variant in comparison.variants[shift:] + comparison.variants[:shift]:
                run = comparison.measure(variant, cwd)
                done += 1
                print(f"[{done:3}/{total}] round {round_number + 1}: {comparison.label:37} "
                      f"{variant:>7} pack {run.seconds:7.2f} s {run.max_rss_mb:6.0f} MB", flush=True)


if __name__ == "__main__":
    sys.exit(main())

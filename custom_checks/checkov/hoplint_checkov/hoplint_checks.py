"""What hoplint's checkov checks share: one graph check per catalog rule, judged by the engine.

Graph checks. A verdict needs the whole template, and checkov hands a graph check (a `BaseGraphCheck` with
a solver of its own) the whole graph of a run: every CloudFormation template scanned, a Terraform
configuration (one graph may hold several root modules) or a Terraform plan. The solver answers once, with
the resources the engine proved (PASSED) or refuted (FAILED); checkov turns each into a record with file,
lines, code block, severity and guideline, and applies `--check`, `--skip-check`, inline skips and every
output format to it. A resource check would instead be called, logged and filtered once per check and
resource of its types, also where its rule has nothing to say (the blue/green, EC2 and network ACL rules on
a plain Fargate service): checkov's own cost for those calls outweighed the engine's. Graph checks also see
the CloudFormation resources whose `Condition` is false under the parameter defaults, which checkov's
resource checks skip; the engine judges every combination of conditions.

Loading. checkov executes each `.py` of the external checks directory as a fresh top-level module, once per
runner, and skips subdirectories without `__init__.py`. This module lives in such a subdirectory: the check
files import it as `hoplint_checkov.hoplint_checks` (a namespace package, found through the directory
checkov puts on sys.path), so it runs once per process and its state is one. Each check registers itself
with checkov's CloudFormation and Terraform graph registries (plans run the Terraform one), once per id.

Which resource. A CloudFormation vertex names its template (`file_path_`, as checkov opened it) and its
logical id (`block_name_`). The engine judges every template of the graph (all of a `checkov -d` scan) on
checkov's own parse of it: ``CloudformationGraphManager.build_graph_from_definitions`` is wrapped, once per
process, to convert checkov's parsed templates before its graph builder writes into them
(policies.cloudformation.parsed_templates, with the loader's guards); a template missing there (checkov's
internals changed) is read from its file. It judges them as the applications they form (nested stacks, exports and imports, the scan's deployment
description), with its own line numbers; a template deployed as several stacks is one record per resource,
with the worst of their verdicts. A Terraform configuration's vertices and edges become the engine's resource
dicts, analysed per root module; a plan's vertices name the plan file, which the engine reads. A PASSED record
is on the resource the verdict is about (the ECS service of HOP303). A FAILED record is on the resource a fix
edits, the one cfn-lint underlines (`policies.findings.fix_resource`: the security group or
AWS::EC2::SecurityGroupIngress of HOP303, in whichever template of the application holds it), so that the
CLI's lines and a code-scanning alert open at the fix; its message names the service. Several findings fixed in
one resource (a group shared by two services) are one record with each message. A resource of a module that
several root modules call is one record: it gets the worst of their verdicts.

Skips. checkov applies a skip written on a record's resource itself. A FAILED record also becomes SKIPPED
when each of its findings is accepted where checkov does not look (policies.suppressions: a checkov skip on
the resource the finding is about, the service): the details hook below turns it, with the skip's comment.

What the pack could not judge. checkov reports UNKNOWN nowhere, so the adapter says it on checkov's log
(stderr): a file the engine cannot judge at all (``hoplint: cannot judge <file>: <why>``), and each value a
template gets wrong that kept a rule from a verdict on a resource (``hoplint: <file>: CKV_HOP_303 not judged
on AppService: cannot read <path>: <why>``). A solver never raises: checkov would drop the exception
silently.

Details. checkov builds graph records without details. ``Report.add_record`` is wrapped, once per process,
to give a hoplint record the engine's messages ("service Api: task SG ApiSg allows tcp/80 from AlbSg, but
the target port is 8080"), which the CLI prints, JSON carries as `details` and hoplint_sarif.py makes the
SARIF result's message, and to mark SKIPPED the records whose findings are all accepted (above). If
checkov's internals change, the hook installs nothing or fills nothing: records then lack details, and
scanning goes on.

Information (HOP206). checkov fails a run (exit 1) on any FAILED record unless `--soft-fail-on` or
`--hard-fail-on` say otherwise, whatever its severity (`Report.get_exit_code`). A rule of severity
information must never fail a run by default, so its check runs only when `--check` (or `check:` in
.checkov.yaml) names its id exactly, `--check CKV_HOP_206`: a glob like `CKV_HOP_*`, a severity threshold or
no `--check` at all leave it out. ``RunnerFilter.should_run_check`` is wrapped, once per process, to say so.
Asked for, its records have severity INFO: `--hard-fail-on LOW` (or any higher threshold) and
`--soft-fail-on INFO` keep them from failing the run, `--soft-fail-on CKV_HOP_206` too; hoplint_sarif.py gives
them the SARIF level note (checkov writes none for INFO).
"""

from __future__ import annotations

import importlib.util
import logging
import os
import sys
import threading
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from checkov.common.bridgecrew.severities import BcSeverities, Severities
from checkov.common.checks_infra.registry import get_graph_checks_registry
from checkov.common.graph.checks_infra.base_check import BaseGraphCheck
from checkov.common.graph.checks_infra.enums import SolverType
from checkov.common.graph.checks_infra.solvers.base_solver import BaseSolver
from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.runner_filter import RunnerFilter


def _make_engine_importable() -> None:
    """Let a source checkout work without installing hoplint: its root holds the `policies` package."""
    repo_root = Path(__file__).resolve().parents[3]
    if importlib.util.find_spec("policies") is None and (repo_root / "policies" / "__init__.py").is_file():
        sys.path.append(str(repo_root))


_make_engine_importable()

from policies import RULES, Finding, Rule, Verdict  # noqa: E402  (needs the path set above)
from policies.cache import cached  # noqa: E402
from policies.catalog import (  # noqa: E402
    CLOUDFORMATION_TYPES, ERROR, INFORMATION, RULE_OF_CHECKOV_ID, WARNING)
from policies.checkov_graph import graph_vertices_and_edges  # noqa: E402
from policies.collector import collector_paused  # noqa: E402
from policies.findings import fix_resource, worst_verdict  # noqa: E402
from policies.wrapping import wrap_once  # noqa: E402

from .hoplint_sarif import install_sarif_hook  # noqa: E402

if TYPE_CHECKING:
    from policies.suppressions import Suppression, Suppressions

logger = logging.getLogger("hoplint.checkov")

GRAPH_REGISTRIES = ("cloudformation", "terraform")
SEVERITY_OF_RULE = {ERROR: Severities[BcSeverities.HIGH], WARNING: Severities[BcSeverities.LOW],
                    INFORMATION: Severities[BcSeverities.INFO]}
CLOUDFORMATION_SUBJECT_TYPES = frozenset(t for types in CLOUDFORMATION_TYPES.values() for t in types)


def _rules_of_type() -> dict:
    """Resource type -> the rules reported on resources of that type."""
    rules: dict = {}
    for rule in RULES.values():
        for resource_type in rule.cloudformation_types() + rule.terraform_types():
            rules.setdefault(resource_type, []).append(rule)
    return rules


RULES_OF_TYPE = _rules_of_type()

# What checkov's runners read from a result's entity to build its record (get_graph_checks_report in
# cloudformation/runner.py and terraform/base_runner.py). checkov deep-copies each result's entity twice and
# keeps a copy in the record, so an entity carries only these, not the resource's own attributes: copying
# those cost more than judging.
RECORD_ATTRIBUTES = ("block_type_", "block_name_", "file_path_", "id_", "resource_type", "Tags")
# A Terraform record also reads the address, the module call and config_, see record_config.
TERRAFORM_RECORD_ATTRIBUTES = RECORD_ATTRIBUTES + ("__address__", "source_module_object_", "config_")


def record_entity(vertex: dict) -> dict:
    """The entity of a result on the vertex's resource: what checkov's record of it reads, and no more."""
    if vertex["resource_type"] in CLOUDFORMATION_SUBJECT_TYPES:
        return {name: vertex[name] for name in RECORD_ATTRIBUTES if name in vertex}
    entity = {name: vertex[name] for name in TERRAFORM_RECORD_ATTRIBUTES if name in vertex}
    if "config_" in entity:
        entity["config_"] = record_config(entity["config_"])
    return entity


def record_config(config: Any) -> Any:
    """A Terraform resource's config_ (`{type: {name: arguments}}`) cut to what a record reads of it: its line
    numbers and address (`__...__`), `tags`, and each argument that is a list of strings, the only values
    `--mask` and a plan's masks can hide in the record's code block. Nested blocks (a service's
    `load_balancer`, a task definition's `container_definitions` once rendered) are left out: checkov copies
    the config of every result and writes it into JSON reports as the result's `entity`."""
    if not isinstance(config, dict):
        return config
    kept = {}
    for resource_type, named in config.items():
        if not isinstance(named, dict) or not all(isinstance(arguments, dict) for arguments in named.values()):
            return config
        kept[resource_type] = {
            name: {argument: value for argument, value in arguments.items()
                   if argument.startswith("__") or argument == "tags"
                   or (isinstance(value, list) and value and isinstance(value[0], str))}
            for name, arguments in named.items()}
    return kept


class HoplintCheck(BaseGraphCheck):
    """A checkov graph check that reports the engine's verdicts of one catalog rule. Subclass with `rule`."""

    rule: Rule

    def __init__(self) -> None:
        super().__init__()
        self.id = self.rule.checkov_id
        self.name = self.rule.title
        self.category = CheckCategories.NETWORKING.name
        self.resource_types = [*self.rule.cloudformation_types(), *self.rule.terraform_types()]
        self.severity = SEVERITY_OF_RULE[self.rule.severity]
        self.guideline = self.rule.doc_url
        self.set_solver(RuleSolver(self.rule))
        for framework in GRAPH_REGISTRIES:
            registry = get_graph_checks_registry(framework)
            if not any(check.id == self.id for check in registry.checks):
                registry.checks.append(self)
        RunnerFilter.notify_external_check(self.id)  # so that checkov runs it like any external check


class RuleSolver(BaseSolver):
    """Answers a graph with the entities of the resources on which the engine passed or failed one rule."""

    def __init__(self, rule: Rule) -> None:
        super().__init__(SolverType.COMPLEX)
        self.rule = rule

    def run(self, graph_connector: Any) -> tuple:
        try:
            return (*verdicts_of_graph(graph_connector).entities(self.rule), [])
        except Exception:  # checkov would swallow it silently, and lose every verdict with it
            logger.warning("hoplint: %s judged nothing: the engine failed", self.rule.checkov_id, exc_info=True)
            return [], [], []


class GraphVerdicts:
    """Every rule's verdicts on the resources of one checkov graph, keyed as checkov's records name them."""

    def __init__(self, graph: Any) -> None:
        self.graph = graph
        self.vertices, self.edges = graph_vertices_and_edges(graph)
        self.analyses: dict = {}  # (reader, file) -> Analysis, None when it cannot be judged
        self._templates: Any = None  # policies.analysis.ScanAnalysis of the graph's CloudFormation templates
        self._template_analyses: dict = {}  # file -> the Analysis of its application, asked once per resource
        self.unjudgeable: set = set()  # sources already reported as such
        self.records: dict = {}  # Terraform root module -> record address -> resources (records_of_root)
        self.application_suppressions: dict = {}  # id of a CloudFormation application -> its Suppressions
        self._resource_vertices: dict | None = None  # see resource_vertex
        self._entities: dict = {}  # id of a vertex -> its record_entity, one for all the rules judged on it
        self._absolute: dict = {}  # file as checkov names it -> absolute path (asked once per record)
        # checkov id -> (absolute file, resource as records name it) -> Judged
        self.judged: dict = {rule.checkov_id: {} for rule in RULES.values()}
        for _, vertex in self.vertices:
            rules = RULES_OF_TYPE.get(vertex.get("resource_type"))
            if rules and vertex.get("block_type_") == "resource":
                self.judge(vertex, rules)

    def judge(self, vertex: dict, rules: list) -> None:
        analysis, resources = self.analysis_and_resources(vertex)
        if analysis is None:
            return
        for rule in rules:
            # A record may stand for several resources (a template deployed as several stacks, a module block
            # with count or for_each): one verdict, the worst of theirs.
            findings = [finding for resource in resources for finding in analysis.for_resource(rule.id, resource)]
            verdict = worst_verdict(finding.verdict for finding in findings)
            if verdict == Verdict.UNKNOWN:  # named as the engine names it, or as the record when it stands for several
                record_name = vertex.get("__address__") or vertex.get("id_")
                warn_unreadable(analysis.source, rule, resources[0] if len(resources) == 1 else record_name, findings)
            if verdict == Verdict.PASSED:
                self.record(rule, vertex, Judged(verdict, [finding.message for finding in findings],
                                                 self.entity(vertex)))
            elif verdict == Verdict.FAILED:
                for finding in findings:
                    if finding.verdict == Verdict.FAILED:
                        fixed = self.resource_vertex(vertex, *fix_resource(finding)) or vertex
                        self.record(rule, fixed, Judged(verdict, [finding.message], self.entity(fixed),
                                                        self.acceptance(analysis, vertex, fixed, finding)))

    def entity(self, vertex: dict) -> dict:
        # Shared by the records of several rules: checkov copies an entity before it writes into a record.
        if id(vertex) not in self._entities:
            self._entities[id(vertex)] = record_entity(vertex)
        return self._entities[id(vertex)]

    def record(self, rule: Rule, vertex: dict, judged: Judged) -> None:
        """Add a verdict to the record of `vertex`'s resource (a module's resource, for another root module; a
        resource that fixes several findings)."""
        key = (self.absolute(str(vertex.get("file_path_"))), vertex.get("__address__") or vertex.get("id_"))
        earlier = self.judged[rule.checkov_id].get(key)
        self.judged[rule.checkov_id][key] = earlier.worse(judged) if earlier else judged

    def analysis_and_resources(self, vertex: dict) -> tuple:
        """(the Analysis holding the vertex's resource, the names there of the resources its record stands
        for), or (None, ()) when none can."""
        path = str(vertex.get("file_path_"))
        if vertex["resource_type"] in CLOUDFORMATION_SUBJECT_TYPES:
            if path not in self._template_analyses:
                self._template_analyses[path] = self.templates().of(path)
            analysis = self._template_analyses[path]
            logical_id = str(vertex.get("block_name_")).rsplit(".", 1)[-1]
            if not self.judgeable(analysis):
                return None, ()
            return analysis, tuple(analysis.application.resource_ids(path, logical_id))
        from policies.terraform_analysis import analyze_terraform_plan_file
        from policies.terraform.graph import root_module

        if "__file__" in vertex:  # only a plan's vertices name their file so
            return self.analysis("plan", path, analyze_terraform_plan_file), (vertex.get("__address__"),)
        root = root_module(vertex)
        analysis = self.configuration_roots().get(root)
        if not self.judgeable(analysis):
            return None, ()
        return analysis, self.records_of_root(root, analysis).get(vertex.get("__address__"), ())

    def records_of_root(self, root: str, analysis: Any) -> dict:
        """Record address -> the resources of the root's analysis it reports on (resources_of_records)."""
        from policies.terraform.graph import root_module
        from policies.terraform.resources import resources_of_records

        if root not in self.records:
            # Every resource of the root: the one a fix edits (an ingress rule) may be reported on by no rule.
            records = [vertex.get("__address__") for _, vertex in self.vertices
                       if vertex.get("block_type_") == "resource" and root_module(vertex) == root]
            resources = {finding.resource for finding in analysis.findings}
            resources.update(*(deployment.topology.resource_types for deployment in analysis.deployments))
            self.records[root] = resources_of_records(records, resources)
        return self.records[root]

    def templates(self) -> Any:
        """The analysis of every CloudFormation template of the graph, as the applications they form."""
        if self._templates is None:
            # Every template of the graph, also those without a resource hoplint reports on: a parent stack, a
            # network stack whose exports the others import.
            files = sorted({str(vertex["file_path_"]) for _, vertex in self.vertices
                            if str(vertex.get("resource_type", "")).startswith("AWS::") and "file_path_" in vertex})
            from policies.analysis import analyze_paths  # not imported for Terraform: the CloudFormation reader

            try:
                self._templates = analyze_paths(files, parsed=_parsed_templates)
            except Exception:  # an engine bug: say it, judge nothing of these templates
                logger.warning("hoplint: cannot judge the templates: the engine failed", exc_info=True)
                self._templates = _NothingJudged()
            for note in getattr(getattr(self._templates, "scan", None), "notes", ()):
                logger.warning("hoplint: %s", note)
        return self._templates

    def resource_vertex(self, subject: dict, file: str | None, resource: str) -> dict | None:
        """The vertex of `resource` in `file` (None: the file of `subject`, whose analysis names it), or in the
        root module of `subject` for a Terraform configuration; None when the graph holds no such resource."""
        if self._resource_vertices is None:
            self._resource_vertices = {self.vertex_key(vertex, None, self.vertex_name(vertex)): vertex
                                       for _, vertex in self.vertices if vertex.get("block_type_") == "resource"}
        key = self.vertex_key(subject, file, resource)
        if key not in self._resource_vertices and key[0] in self.records:
            # An instance of a resource whose count or for_each checkov could not expand: its record's vertex.
            record = next((name for name, resources in self.records[key[0]].items() if resource in resources), None)
            key = (key[0], record)
        return self._resource_vertices.get(key)

    @staticmethod
    def vertex_name(vertex: dict) -> str:
        """A resource's name as the engine's findings give it: a logical id, or a Terraform address."""
        return vertex.get("__address__") or str(vertex.get("block_name_")).rsplit(".", 1)[-1]

    def vertex_key(self, vertex: dict, file: str | None, resource: str) -> tuple:
        """Where `resource` lies seen from `vertex`: its file (CloudFormation, a plan), or its root module."""
        if "__address__" in vertex and "__file__" not in vertex:
            from policies.terraform.graph import root_module

            return root_module(vertex), resource
        return self.absolute(file or str(vertex.get("file_path_"))), resource

    def acceptance(self, analysis: Any, subject: dict, fixed: dict, finding: Finding) -> Suppression | None:
        """A checkov skip accepting the failed `finding` where checkov does not look, if any."""
        from policies.suppressions import CHECKOV  # imported on the first failure: most resources pass

        return self.suppressions(analysis, subject, fixed).covering(finding, tools=(CHECKOV,))

    def suppressions(self, analysis: Any, subject: dict, fixed: dict) -> Suppressions:
        """What the user accepted on the two resources a verdict concerns, read only for failed verdicts: in
        the templates of a CloudFormation application, within the blocks of Terraform resources."""
        from policies.suppressions import application_suppressions, terraform_suppressions

        if subject["resource_type"] in CLOUDFORMATION_SUBJECT_TYPES:
            application = analysis.application
            if id(application) not in self.application_suppressions:
                self.application_suppressions[id(application)] = application_suppressions(application)
            return self.application_suppressions[id(application)]
        # A Terraform block: the skip comments within its lines.
        return terraform_suppressions(
            {"address": vertex.get("__address__"), "file": vertex.get("file_path_"),
             "start_line": vertex.get("__start_line__"), "end_line": vertex.get("__end_line__")}
            for vertex in (subject, fixed))

    def analysis(self, reader: str, path: str, analyze: Callable) -> Any:
        if (reader, path) not in self.analyses:
            try:
                analysis = analyze(path)
            except Exception:  # an engine bug: the other files are still judged
                logger.warning("hoplint: cannot judge %s: the engine failed", path, exc_info=True)
                analysis = None
            self.analyses[reader, path] = analysis if self.judgeable(analysis) else None
        return self.analyses[reader, path]

    def configuration_roots(self) -> dict:
        """Root module -> Analysis of the Terraform configuration in this graph, built on first use."""
        from policies.terraform import read_graph
        from policies.terraform_analysis import analyze_terraform_roots

        def analyses() -> dict:
            reading = read_graph(self.vertices, self.edges)
            return analyze_terraform_roots(reading.resources, reading.problems)

        # The engine's cache is process-wide (the graph anchors its id there): one build per graph.
        return cached(("checkov-terraform-graph", id(self.graph)), analyses, anchor=self.graph)

    def judgeable(self, analysis: Any) -> bool:
        """False for no analysis, or one the engine could not judge at all: that one is said on the log, once."""
        if analysis is None:
            return False
        if analysis.problems and analysis.source not in self.unjudgeable:
            self.unjudgeable.add(analysis.source)
            logger.warning("hoplint: cannot judge %s: %s", analysis.source, "; ".join(analysis.problems))
        return not analysis.problems

    def entities(self, rule: Rule) -> tuple:
        """(entities of the resources the rule passed, entities of those it failed)."""
        passed, failed = [], []
        for judged in self.judged[rule.checkov_id].values():
            (passed if judged.verdict == Verdict.PASSED else failed).append(judged.entity)
        return passed, failed

    def of_record(self, check_id: str, file: str, resource: str) -> Judged | None:
        return self.judged.get(check_id, {}).get((self.absolute(file), resource))

    def absolute(self, file: str) -> str:
        if file not in self._absolute:
            self._absolute[file] = os.path.abspath(file)
        return self._absolute[file]


@dataclass(frozen=True, repr=False)
class Judged:
    """One rule's verdict on one record's resource: PASSED or FAILED, the messages saying why, the entity, and
    for a FAILED one whose findings the user all accepted, one of the suppressions accepting them."""

    verdict: Verdict
    messages: list
    entity: dict
    suppression: Suppression | None = None

    def worse(self, other: Judged) -> Judged:
        """Of two verdicts on one record (a module's resource, for two root modules; a resource that fixes
        several findings): the worse one, a failure not accepted before an accepted one, with the messages of
        both when they agree."""
        if self.verdict != other.verdict:
            return self if worst_verdict((self.verdict, other.verdict)) == self.verdict else other
        if (self.suppression is None) != (other.suppression is None):
            return self if self.suppression is None else other
        return Judged(self.verdict, self.messages + [m for m in other.messages if m not in self.messages], self.entity,
                      self.suppression)


class _NothingJudged:
    """Stands for the analysis of templates the engine failed on: every file of it is judged by no rule."""

    def of(self, source: str) -> Any:
        return None


def warn_unreadable(source: str, rule: Rule, resource: str, findings: list) -> None:
    """Name each value the template gets wrong that kept `rule` from a verdict on `resource`."""
    for finding in findings:
        for value in finding.unreadable:
            logger.warning("hoplint: %s: %s not judged on %s: cannot read %s: %s", value.file or source,
                           rule.checkov_id, resource, "/".join(map(str, value.path)), value.reason)


# The solvers of one graph run in threads, one per check: the first judges the graph, the others wait.
_judging = threading.Lock()
# The verdicts of the graphs judged last. A runner judges its graph, then records its results; the runners of
# several frameworks may do so at once (checkov runs them in threads on macOS and Windows), so the records
# of one graph may come after another graph was judged. A few graphs are all one run has.
_recent: deque = deque(maxlen=8)


def verdicts_of_graph(graph: Any) -> GraphVerdicts:
    with _judging:
        judged = next((verdicts for verdicts in _recent if verdicts.graph is graph), None)
        if judged is None:
            with collector_paused():  # see policies.analysis: checkov's heap is large
                judged = GraphVerdicts(graph)
            _recent.append(judged)
        return judged


def fill_details(record: Any) -> None:
    """Give a hoplint record the engine's messages about its resource, which checkov leaves out, and mark it
    SKIPPED where the user accepted each of its findings on a resource checkov does not read skips from."""
    if record.details or record.check_id not in RULE_OF_CHECKOV_ID:
        return
    judged = next((found for verdicts in reversed(_recent)
                   if (found := verdicts.of_record(record.check_id, record.file_abs_path, record.resource))), None)
    if judged is None:
        return
    record.details = list(judged.messages)
    if judged.suppression is not None and record.check_result.get("result") == CheckResult.FAILED:
        record.check_result = dict(record.check_result, result=CheckResult.SKIPPED,
                                   suppress_comment=judged.suppression.comment or judged.suppression.reason)


# checkov's parse of the CloudFormation templates of the graph it built last: absolute path -> ScannedTemplate.
_parsed_templates: dict = {}


def take_parsed_templates(definitions: dict) -> None:
    """Keep checkov's parse of each template (its runner's definitions), converted before its graph builder
    writes into them (policies.cloudformation.parsed_templates): the engine then reads no file again."""
    from policies.cloudformation.parsed_templates import parsed_template

    _parsed_templates.clear()  # a graph of other templates: never judged with the last ones, even if this fails
    with collector_paused():
        taken = {os.path.abspath(str(path)): parsed_template(str(path), template)
                 for path, template in definitions.items()}
    _parsed_templates.update(taken)


def _step_before(owner: Any, name: str, parameter: str, step: Callable, lost: str) -> None:
    """Wrap checkov's method `owner.name` (once per process) so that `step` first sees the argument of its first
    `parameter`, given by position or by name (checkov calls `add_record(record=...)`). A failing step is logged,
    saying what is `lost`, and the method runs as it always does."""

    def stepping_first(method: Callable) -> Callable:
        def method_after_the_step(instance: Any, *args: Any, **kwargs: Any) -> Any:
            try:
                step(args[0] if args else kwargs[parameter])
            except Exception:  # hoplint's extra must never cost checkov its own work
                logger.debug("hoplint: %s", lost, exc_info=True)
            return method(instance, *args, **kwargs)

        return method_after_the_step

    wrap_once(owner, name, stepping_first)


def _install_parse_hook() -> None:
    try:
        from checkov.cloudformation.graph_manager import CloudformationGraphManager
    except ImportError:
        return
    _step_before(CloudformationGraphManager, "build_graph_from_definitions", "definitions", take_parsed_templates,
                 "cannot take checkov's parse: the engine reads the files itself")


def _install_details_hook() -> None:
    try:
        from checkov.common.output.report import Report
    except ImportError:
        return
    _step_before(Report, "add_record", "record", fill_details, "no details for a record")  # details are a nicety


def _install_information_filter() -> None:
    """Run the checks of information rules only when `--check` names them by id (see the module docstring)."""
    information_ids = {rule.checkov_id for rule in RULES.values() if rule.informational}

    def information_filter(should_run_check: Callable) -> Callable:
        def should_run_check_unless_unasked_information(runner_filter: Any, check: Any = None,
                                                        check_id: str | None = None, *args: Any, **kwargs: Any) -> bool:
            asked = check.id if check is not None else check_id
            if asked in information_ids and asked not in (runner_filter.checks or ()):
                return False
            return should_run_check(runner_filter, check, check_id, *args, **kwargs)

        return should_run_check_unless_unasked_information

    wrap_once(RunnerFilter, "should_run_check", information_filter)


_install_parse_hook()
_install_details_hook()
_install_information_filter()
install_sarif_hook()

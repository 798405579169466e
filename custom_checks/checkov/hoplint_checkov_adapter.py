"""Shared code of hoplint's checkov checks: one thin resource check per catalog rule over the engine.

Checkov imports every ``.py`` under ``--external-checks-dir`` as a top-level module named after its
stem, once per runner (so up to ~20 times without ``--framework``). This module defines no ``check``,
and its import-time work is cheap and idempotent.

Finding the template. A check sees one resource; the verdict needs the whole template. The entity path's
file part is relative to the ``-d`` root (or to the working directory with ``-f``), which a check cannot
know. The ``Properties`` and ``Metadata`` mappings checkov's parser builds carry ``__file__``: the path
checkov opened, absolute or relative to the working directory, for ``-f`` and ``-d``, YAML and JSON,
nested directories included. A resource with neither mapping cannot be located: it gets UNKNOWN, which
checkov drops, never a verdict about some other file.

Terraform. Each check is also registered with checkov's Terraform resource registry, on the rule's
Terraform types; that registry hands every check the whole rendered graph (``self.graph``, None for
CloudFormation), which tells the frameworks apart. For ``--framework terraform`` the graph's vertices and
edges become the engine's resource dicts, analysed once per graph and root module (one ``-d`` may hold
several root modules, each with its own ``aws_lb.web``). A resource is found by its address
(``conf["__address__"]``, module and instance aware), the scanned file (relative to the ``-d`` root,
so the shortest file path ending with it) and its first line. A resource of a shared module instantiated
by several root modules is the same record for all of them: it gets the worst of their verdicts. For
``--framework terraform_plan`` the conf names the plan file (``__file__``), which the engine reads itself:
values already resolved, and ``configuration`` references for ids known only after apply. Terraform
records carry the check's ``details``.

What the pack could not judge. checkov reports UNKNOWN nowhere, so the adapter says it on checkov's log
(stderr), once per message: a file the engine cannot judge at all (``hoplint: cannot judge <file>:
<why>``), and each value a template gets wrong that kept a rule from a verdict on a resource (``hoplint:
<file>: CKV_HOP_303 not judged on AppService: cannot read <path>: <why>``). A check never raises.

Why details need a hook. The CloudFormation runner builds each ``Record`` without the check's
``details`` (``checkov/cloudformation/runner.py``, ``check_definitions``), so the concrete message
("service Api: task SG ApiSg allows tcp/80 from AlbSg, but the target port is 8080") would never reach
the CLI, JSON (``details``) or SARIF output (where hoplint_sarif.py makes it the result's message).
``Report.add_record`` is wrapped,
once per process, to fill the empty ``details`` of CloudFormation ``CKV_HOP_`` records from the engine's
findings (cached per template, so no second analysis). If checkov's internals change, the hook installs
nothing or fills nothing: records then lack details, and scanning goes on.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import sys
from pathlib import Path
from typing import Any, Callable

from checkov.cloudformation.checks.resource.base_resource_check import BaseResourceCheck
from checkov.common.bridgecrew.check_type import CheckType
from checkov.common.bridgecrew.severities import BcSeverities, Severities
from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.terraform.checks.resource.registry import resource_registry as terraform_registry


def _make_engine_importable() -> None:
    """Let a source checkout work without installing hoplint: its root holds the `policies` package."""
    repo_root = Path(__file__).resolve().parents[2]
    if importlib.util.find_spec("policies") is None and (repo_root / "policies" / "__init__.py").is_file():
        sys.path.append(str(repo_root))


_make_engine_importable()

import policies  # noqa: E402  (needs the path set above)
from policies import RULES, Rule, Verdict  # noqa: E402
from policies.analysis import cached  # noqa: E402
from policies.findings import worst_verdict  # noqa: E402
from policies.wrapping import wrap_once  # noqa: E402

logger = logging.getLogger("hoplint.checkov")


class _OncePerMessage(logging.Filter):
    """Lets each distinct message through once: 16 checks over one broken template say the same thing."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: set = set()

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if message in self.seen:
            return False
        self.seen.add(message)
        return True


# Checkov may import this module several times; the logger, and so its one filter, is process-wide.
if not any(type(f).__name__ == _OncePerMessage.__name__ for f in logger.filters):
    logger.addFilter(_OncePerMessage())

SEVERITY_OF_RULE = {"error": Severities[BcSeverities.HIGH], "warning": Severities[BcSeverities.LOW]}

# Anything else (UNKNOWN, or None: the rule does not apply) stays UNKNOWN, which checkov leaves out of reports.
CHECK_RESULT_OF_VERDICT = {Verdict.FAILED: CheckResult.FAILED, Verdict.PASSED: CheckResult.PASSED}

RULE_OF_CHECKOV_ID = {rule.checkov_id: rule for rule in RULES.values()}


class HoplintCheck(BaseResourceCheck):
    """A checkov check that reports the engine's verdict of one catalog rule on one resource."""

    rule: Rule  # set by each check class

    def __init__(self) -> None:
        super().__init__(
            name=self.rule.title,
            id=self.rule.checkov_id,
            categories=(CheckCategories.NETWORKING,),
            supported_resources=self.rule.cloudformation_types() + self.rule.terraform_types(),
            guideline=self.rule.doc_url,
        )
        terraform_registry.register(self)  # the CloudFormation base class registered it with its own registry
        self.severity = SEVERITY_OF_RULE[self.rule.severity]

    def scan_resource_conf(self, conf: dict[str, Any]) -> CheckResult:
        if self.graph is not None:
            return self.scan_terraform(conf)
        # entity_path is "<scanned file>:<type>:<logical id>"; logical ids are alphanumeric.
        scanned_file, _, logical_id = self.entity_path.rpartition(f":{self.entity_type}:")
        template = template_path(conf)
        if template is None:
            logger.warning(
                "hoplint: %s: %s has no Properties or Metadata to locate it by: not judged", scanned_file, logical_id
            )
            return CheckResult.UNKNOWN
        try:
            verdict, messages = judge(template, self.rule, logical_id)
        except Exception:  # never stop checkov or its other checks
            logger.warning("hoplint: cannot judge %s: the engine failed", template, exc_info=True)
            return CheckResult.UNKNOWN
        self.details = messages
        return CHECK_RESULT_OF_VERDICT.get(verdict, CheckResult.UNKNOWN)

    def scan_terraform(self, conf: dict[str, Any]) -> CheckResult:
        address = conf.get("__address__")
        plan_file = first(conf.get("__file__"))
        scanned_file = self.entity_path.rpartition(f":{self.entity_type}:")[0]
        try:
            if plan_file is not None:
                from policies.terraform import analyze_terraform_plan_file  # imported here: see GraphAnalyses

                analyses = [analysis_of_file(analyze_terraform_plan_file, plan_file)]
            else:
                analyses = graph_analyses(self.graph).holding(address, scanned_file, first(conf.get("__start_line__")))
            verdict, messages = verdict_of(analyses, self.rule, address)
        except Exception:  # never stop checkov or its other checks
            logger.warning("hoplint: cannot judge %s: the engine failed", plan_file or scanned_file, exc_info=True)
            return CheckResult.UNKNOWN
        self.details = messages
        return CHECK_RESULT_OF_VERDICT.get(verdict, CheckResult.UNKNOWN)


def first(value: Any) -> Any:
    """checkov keeps some Terraform values in one-element lists."""
    return value[0] if isinstance(value, list) and value else value


class GraphAnalyses:
    """The engine's analyses of every root module of one rendered Terraform graph."""

    def __init__(self, graph: Any) -> None:
        # Imported here, not at the top: a CloudFormation run never pays for the Terraform reader's import.
        from policies.terraform import analyze_terraform_roots, resources_from_graph

        if hasattr(graph, "weighted_edge_list"):  # rustworkx, checkov's default
            vertices, edges = graph.nodes(), graph.weighted_edge_list()
        else:  # networkx (CHECKOV_GRAPH_FRAMEWORK=NETWORKX)
            vertices, edges = graph.nodes(data=True), graph.edges(data=True)
        resources = resources_from_graph(vertices, edges)
        self.analyses = analyze_terraform_roots(resources)
        self.locations: dict = {}  # address -> [(file, first line, root)]
        for resource in resources:
            self.locations.setdefault(resource["address"], []).append(
                (str(resource["file"]), resource["start_line"], resource["root"]))
        self.found: dict = {}  # (address, scanned file, line) -> holding(...): every check asks about a resource

    def holding(self, address: str, scanned_file: str, start_line: Any) -> list:
        """Analyses of the root modules that hold the resource checkov names by address, file and line."""
        key = (address, scanned_file, start_line)
        if key not in self.found:
            candidates = [(file, root) for file, line, root in self.locations.get(address, ())
                          if file.endswith(scanned_file) and line == start_line]
            shortest = min((len(file) for file, _ in candidates), default=0)  # "/a/main.tf" ends "/x/a/main.tf"
            self.found[key] = [self.analyses[root] for file, root in candidates if len(file) == shortest]
        return self.found[key]


_last_graph: tuple = (None, None)  # (graph, its GraphAnalyses): checkov asks about each resource in turn


def graph_analyses(graph: Any) -> GraphAnalyses:
    # checkov executes every file of the directory as a fresh module, this one too, after check files
    # may have imported it already: a cache of this module would exist twice, and the graph be analysed
    # twice. The engine's cache is one per process (the graph anchors its id there); the module's own
    # last graph only spares each question a lookup there.
    global _last_graph
    if _last_graph[0] is not graph:
        _last_graph = (graph, cached(("checkov-terraform-graph", id(graph)), lambda: GraphAnalyses(graph),
                                     anchor=graph))
    return _last_graph[1]


def template_path(conf: dict[str, Any]) -> str | None:
    """The file checkov parsed this resource from, as checkov opened it (see the module docstring)."""
    for section in ("Properties", "Metadata"):
        mapping = conf.get(section)
        if isinstance(mapping, dict) and isinstance(mapping.get("__file__"), str):
            return mapping["__file__"]
    return None


def judge(template: str, rule: Rule, logical_id: str) -> tuple:
    """(verdict or None, messages of the findings that decide it) of `rule` on one resource of a template."""
    return verdict_of([analysis_of_file(policies.analyze_file, template)], rule, logical_id)


# checkov asks about each resource of a file in turn, and again for each record's details. The engine's
# cache is keyed by content, so each question would read and hash the whole file again (a third of the
# pack's time on a 500-resource template): the last file's analysis is kept, keyed by the file's identity.
_last_file: tuple = (None, None)  # ((analyze, path, inode, size, mtime), Analysis)


def analysis_of_file(analyze: Callable, path: str) -> Any:
    """analyze(path), computed again only when another file, or a changed one, is asked about."""
    global _last_file
    try:
        status = os.stat(path)
    except OSError:
        return analyze(path)  # which says why the file cannot be read
    identity = (analyze, os.path.abspath(path), status.st_ino, status.st_size, status.st_mtime_ns)
    seen, analysis = _last_file
    if seen != identity:
        analysis = analyze(path)
        _last_file = (identity, analysis)
    return analysis


def verdict_of(analyses: list, rule: Rule, resource: str) -> tuple:
    """(worst verdict or None, messages of the findings that decide it) of `rule` on `resource` in analyses."""
    findings = []
    for analysis in analyses:
        if analysis.problems:
            logger.warning("hoplint: cannot judge %s: %s", analysis.source, "; ".join(analysis.problems))
            return None, []
        findings += [(analysis.source, finding) for finding in analysis.for_resource(rule.id, resource)]
    verdict = worst_verdict(finding.verdict for _, finding in findings)
    if verdict == Verdict.UNKNOWN:
        # checkov reports UNKNOWN nowhere: say which values the template gets wrong, or the hop looks fine.
        for source, finding in findings:
            for value in finding.unreadable:
                logger.warning("hoplint: %s: %s not judged on %s: cannot read %s: %s", source, rule.checkov_id,
                               resource, "/".join(map(str, value.path)), value.reason)
    return verdict, [finding.message for _, finding in findings if finding.verdict == verdict]


def fill_details(report: Any, record: Any) -> None:
    """Give a CloudFormation CKV_HOP_ record the engine's messages that its runner left out."""
    rule = RULE_OF_CHECKOV_ID.get(record.check_id)
    if rule is None or record.details or report.check_type != CheckType.CLOUDFORMATION:
        return
    result = record.check_result.get("result")
    if result not in CHECK_RESULT_OF_VERDICT.values():
        return
    # record.resource is "<type>.<logical id>"; file_abs_path is the path checkov opened.
    verdict, messages = judge(record.file_abs_path, rule, record.resource.rsplit(".", 1)[-1])
    if CHECK_RESULT_OF_VERDICT.get(verdict) == result:
        record.details = messages


def _install_details_hook() -> None:
    try:
        from checkov.common.output.report import Report
    except ImportError:
        return

    def details_filler(add_record: Callable) -> Callable:
        def add_record_with_details(report: Any, record: Any, *args: Any, **kwargs: Any) -> Any:
            try:
                fill_details(report, record)
            except Exception:  # details are a nicety: never lose the record over them
                logger.debug("hoplint: no details for a record", exc_info=True)
            return add_record(report, record, *args, **kwargs)

        return add_record_with_details

    wrap_once(Report, "add_record", details_filler)


_install_details_hook()

"""Entry points: templates in, every rule's findings out, computed once per input per process.

    scan = analyze_paths(["infra/network.yaml", "infra/service.yaml"])   # the applications of a scan
    scan.of("infra/service.yaml")                                         # the Analysis of its application
    analyze_file("template.yaml")                                         # one template, on its own
    analyze_document(document, "template.yaml")                           # an already parsed one (cfn-lint's)

The templates of a scan form applications (policies.application): stacks joined by nesting, by imports of each
other's exports and by the scan's deployment description. Each application is judged as a whole, in every
deployment its conditions allow (policies.application.scenarios), and its findings name the file and line to
change, whichever template that is.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field, replace
from typing import Any, Callable

from policies.application import Scan, join
from policies.application.scenarios import ConditionSpace
from policies.application.scopes import Scenario
from policies.cache import cached
from policies.cloudformation.deployment_files import Description, describe_scan
from policies.cloudformation.loader import MAX_TEMPLATE_BYTES, ScannedTemplate, read_template_file
from policies.cloudformation.topology_builder import build_topology
from policies.evaluate import Deployment, evaluate
from policies.findings import Analysis, Finding, Verdict

logger = logging.getLogger(__name__)
APPLICATIONS_JUDGED = 0  # applications judged in this process; tests assert each is judged once per run

__all__ = ["Analysis", "Finding", "ScanAnalysis", "Verdict", "analyze_application", "analyze_document",
           "analyze_file", "analyze_paths", "analyze_scan", "MAX_TEMPLATE_BYTES"]


@dataclass(eq=False, repr=False)
class ScanAnalysis:
    """The analyses of a scan's applications, and of the files in it that cannot be judged."""

    scan: Scan
    analyses: list = field(default_factory=list)  # one Analysis per application, in the order of scan.applications

    def of(self, source: str) -> Analysis:
        """The analysis of the application `source` belongs to (for a file that cannot be judged: why)."""
        for application, analysis in zip(self.scan.applications, self.analyses):
            if application.stacks_of(source):
                return analysis
        for problem_source, problems in self.scan.problems.items():
            if os.path.abspath(problem_source) == os.path.abspath(source):
                return Analysis(source=source, problems=list(problems))
        return Analysis(source=source, problems=[f"{source}: not among the scanned templates"])


def analyze_paths(paths: list, environment: dict | None = None, parsed: dict | None = None) -> ScanAnalysis:
    """Analyse the templates at `paths` as one scan, with the deployment description found for it (the file
    HOPLINT_DEPLOYMENT names, `.hoplint.yaml` at the root of the scan, CDK cloud assemblies).

    `parsed` maps absolute paths to the templates a host tool has parsed already (policies.cloudformation.
    parsed_templates): those files are not read again."""
    parsed = parsed or {}
    templates = [_named(parsed.get(os.path.abspath(str(path))), str(path)) or read_template_file(str(path))
                 for path in paths]
    return analyze_scan(templates, describe_scan([str(path) for path in paths], environment))


def _named(scanned: ScannedTemplate | None, source: str) -> ScannedTemplate | None:
    """`scanned` under the name the caller gives its file: findings name files as the tool named them."""
    if scanned is None or scanned.source == source:
        return scanned
    return replace(scanned, source=source)


def analyze_scan(templates: list, description: Description | None = None) -> ScanAnalysis:
    """Analyse scanned templates as the applications they form; cached by their contents and the description."""
    description = description or Description()
    # Keyed by the names the templates are given by: the analysis names its files as the tool named them.
    key = ("scan", tuple((t.source, t.digest or id(t.template)) for t in templates),
           description.key())
    # Templates read from files are known by their contents; parsed ones (cfn-lint's) by their identity, which
    # the anchor keeps unique.
    anchor = tuple(template.template for template in templates if not template.digest)
    return cached(key, lambda: _analyse_scan(templates, description), anchor=anchor)


def _analyse_scan(templates: list, description: Description) -> ScanAnalysis:
    scan = join(templates, description)
    analyses = [_reported(application.label, lambda application=application: analyze_application(application))()
                for application in scan.applications]
    return ScanAnalysis(scan, analyses)


def analyze_file(path: str) -> Analysis:
    """Analyse a CloudFormation template file (YAML or JSON) on its own, keeping line numbers for every finding.

    Never raises: a file that cannot be read or judged is an Analysis whose `problems` say why.
    """
    return analyze_scan([read_template_file(path)]).of(path)


def analyze_document(document: dict, source: str, line_of: Callable | None = None) -> Analysis:
    """Analyse an already parsed CloudFormation template (e.g. cfn-lint's) on its own, cached per document object.

    Never raises: a document that cannot be judged is an Analysis whose `problems` say why.
    """
    scanned = ScannedTemplate(source, document if isinstance(document, dict) else None, line_of,
                              None if isinstance(document, dict) else f"{source}: not a CloudFormation template "
                                                                       f"(no Resources mapping)")
    return analyze_scan([scanned]).of(source)


def analyze_application(application: Any) -> Analysis:
    """Every rule over every deployment of the application its conditions allow.

    Deployments differ only in the conditions their topologies read: starting from the default one, the
    comparisons those conditions make are enumerated, until the topologies read no other condition.
    """
    global APPLICATIONS_JUDGED
    APPLICATIONS_JUDGED += 1
    space = ConditionSpace(application)
    relevant: set = set()
    while True:
        combinations = space.assignments(relevant)
        exhaustive = combinations is not None
        scenarios = [Scenario(application, space, decided) for decided in (combinations if exhaustive else [{}])]
        topologies = [build_topology([scenario.scope(stack) for stack in scenario.deployed_stacks()])
                      for scenario in scenarios]
        consulted = set().union(*(scenario.consulted for scenario in scenarios))
        found = space.keys_of(consulted)
        if not exhaustive or found <= relevant:
            break
        relevant |= found
    order = {stack: index for index, stack in enumerate(application.stacks)}
    consulted = sorted(consulted, key=lambda pair: (order[pair[0]], pair[1]))
    deployments = [Deployment({stack.qualify(name): scenario.conditions(stack)[name] for stack, name in consulted},
                              topology) for scenario, topology in zip(scenarios, topologies)]
    analysis = evaluate(deployments, application.label, application.locate, exhaustive=exhaustive)
    analysis.application = application
    analysis.notes = list(application.notes)
    return analysis


def _reported(source: str, build: Callable[[], Analysis]) -> Callable[[], Analysis]:
    """`build`, turning any exception into a problem of the input: the host tool must keep running."""

    def build_or_report() -> Analysis:
        try:
            return build()
        except Exception as error:  # noqa: BLE001 - whatever the template does to the engine
            logger.debug("hoplint could not analyse %s", source, exc_info=True)
            return Analysis(source=source, problems=[
                f"{source}: hoplint could not analyse it ({type(error).__name__}: {error})"])

    return build_or_report


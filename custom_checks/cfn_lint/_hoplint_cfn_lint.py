"""What every hoplint cfn-lint rule shares: the catalog texts, and one engine run per application.

Loading. `cfn-lint --append-rules custom_checks/cfn_lint` (or `append_rules:` in .cfnlintrc) walks this
directory and executes each file named `[A-Za-z1-9]*.py` as a stand-alone module, outside any package
and without putting the directory on sys.path. The leading underscore keeps cfn-lint from loading this
module as a rule file; each rule file appends the directory to sys.path and imports it under this one
name, so all rules share one module, one base class and one memo of the engine's result. The rule files
import this module, never its classes: cfn-lint instantiates every rule class it finds in a rule file,
imported ones included. A relative `append_rules` path is relative to the working directory, not to the
.cfnlintrc. Naming the directory twice (on the command line and in .cfnlintrc with --merge-configs)
makes cfn-lint stop with DuplicateRuleError.

Applications. The templates one cfn-lint run lints (its command line, or `templates:` of .cfnlintrc) are
judged together, as the applications they form (policies.application: nested stacks, exports and imports,
the scan's deployment description `.hoplint.yaml` or HOPLINT_DEPLOYMENT), and templates a deployment
description names are read too when the run does not hold them (an editor lints one file at a time).
cfn-lint tells a rule only the template it lints, so `Rules.run` is wrapped, once per process, to note the
run's configuration; the other templates are parsed with cfn-lint's own decoder, and its decoder is wrapped
to hand each back when its turn comes: every template is parsed once. If cfn-lint's internals change, the
hooks install nothing and each template is judged on its own.

Parameters. The parameter values cfn-lint is given for the template it lints (`--parameters`, each of
`--parameter-files`, each deployment file of `--deployment-files` naming it) declare a stack of that template
each (policies.cloudformation.deployment_files.declare_parameter_sets): the engine judges those deployments,
a parameter they do not give taking its Default, rather than every combination of conditions the parameters
allow. Stacks the deployment description declares for the template are judged too.

Matches. Each rule reports its catalog rule's FAILED findings whose property to fix lies in the template
being linted, at `finding.path`, so cfn-lint shows its line and column: a broken hop between a service stack
and a network stack is underlined where it is fixed. PASSED findings are not reported, nor UNKNOWN ones,
except through I9000 when a value the template gets wrong is the cause (below).

Suppression. `--ignore-checks`, `--include-checks`, `--mandatory-checks` and the template-level
`Metadata: cfn-lint: config:` work as for any cfn-lint rule. Beyond those, a rule leaves out the findings
the user accepted (policies.suppressions, which `hoplint explain` and the checkov adapter read too): a
resource's `Metadata: cfn-lint: config: ignore_checks: [E9303]` or a checkov skip of CKV_HOP_303 (Metadata
or a `checkov:skip=` comment), on the resource cfn-lint underlines or on the resource the finding is
reported on (the ECS service of HOP303), since a hop's property to fix often lives in another resource, like
a security group shared by several services. `--mandatory-checks` cannot override those: cfn-lint does not
tell rules its configuration. The same suppressions silence I9000's report that the rule could not judge
that resource. The template's text is read again for them only when a rule has something to report.

What hoplint could not read: the informational rule I9000 (hop000_analysis_problems.py). If the engine
reports problems for a template (`Analysis.problems`: unreadable, not a template, too large, circular
conditions) or raises, no catalog rule reports anything for that template, and I9000 reports each
problem, or the exception, once, at the top of the template. If a value the template gets wrong (a port
that is no number, a list where a mapping belongs, a malformed intrinsic) keeps a catalog rule from a
verdict on a resource (UNKNOWN), I9000 reports it once per rule and resource, at that value, naming it.
cfn-lint shows informational rules only when asked: `--include-checks I9000`, or `include_checks:
[I9000]` in .cfnlintrc (examples/.cfnlintrc has it). cfn-lint's own rules report the malformed value
too (E3012 and the like); I9000 says which hops it left unchecked. An exception escaping the engine is
logged with its traceback under `cfn-lint --debug`.
"""

from __future__ import annotations

import logging
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from cfnlint.rules import CloudFormationLintRule, RuleMatch

try:
    import policies  # noqa: F401  (installed, or on PYTHONPATH)
except ModuleNotFoundError as missing:
    if missing.name != "policies":
        raise
    # Run from a checkout where hoplint is not installed: the engine sits next to custom_checks/.
    # Appended, so it shadows nothing that is installed.
    sys.path.append(str(Path(__file__).resolve().parents[2]))

from policies import RULES, Analysis, Finding, Verdict  # noqa: E402
from policies.analysis import analyze_scan  # noqa: E402
from policies.cloudformation.deployment_files import declare_parameter_sets, describe_scan  # noqa: E402
from policies.cloudformation.loader import ScannedTemplate  # noqa: E402
from policies.findings import same_file  # noqa: E402
from policies.wrapping import wrap_once  # noqa: E402

if TYPE_CHECKING:
    from policies.suppressions import Suppressions

# A child of cfn-lint's logger, so that `cfn-lint --debug` prints it.
LOGGER = logging.getLogger("cfnlint.hoplint")


@dataclass(repr=False)
class TemplateAnalysis:
    """The engine's verdicts on the application a template belongs to, or why there are none."""

    template: Any  # cfn-lint's parsed template; kept alive so that identity comparisons stay sound
    source: str
    analysis: Analysis | None
    problems: list = field(default_factory=list)
    filename: str | None = None  # the file cfn-lint read the template from; None for stdin
    _suppressions: Suppressions | None = field(default=None, init=False, repr=False)
    _findings: list | None = field(default=None, init=False, repr=False)

    def reported(self, finding: Finding) -> bool:
        """False when the user accepted the finding (see the module docstring)."""
        if self._suppressions is None:
            self._suppressions = _suppressions(self)
        return self._suppressions.covering(finding) is None

    def notes(self) -> list:
        """What the application was judged without, said once: on its first template."""
        if self.analysis is None or self.analysis.application is None:
            return []
        first = self.analysis.application.sources[0]
        return list(self.analysis.notes) if same_file(first, self.source) else []

    def findings(self) -> list:
        """The application's findings whose property to fix is in this template; asked by every rule, sorted
        out once (an application of 40 templates has thousands of findings)."""
        if self.analysis is None:
            return []
        if self._findings is None:
            self._findings = self.analysis.in_file(self.source)
        return self._findings


# cfn-lint runs every rule on a template before it parses the next one: remembering the last
# template's analysis shares it between all rules without keeping every template alive.
_last: TemplateAnalysis | None = None


def analysis_of(cfn) -> TemplateAnalysis:
    """The engine's analysis of cfn-lint's template `cfn`, with the other templates of the run, computed once
    for all rules and all templates of the application."""
    global _last
    if _last is None or _last.template is not cfn.template:
        _last = _analyse(cfn.template, cfn.filename or "<stdin>")
        _last.filename = cfn.filename
    return _last


def engine_analysis(template: Any, source: str) -> Analysis:
    """The engine's analysis of the application the template `source` belongs to, in this run."""
    return analyze_scan(*_scan_of(template, source)).of(source)


def _analyse(template: Any, source: str) -> TemplateAnalysis:
    try:
        analysis = engine_analysis(template, source)
    except Exception as error:  # an engine bug must not abort cfn-lint or its other rules
        LOGGER.debug("hoplint's engine failed on %s", source, exc_info=True)
        return TemplateAnalysis(
            template,
            source,
            None,
            [f"the engine failed ({type(error).__name__}: {error}); run cfn-lint --debug for the traceback"],
        )
    if analysis.problems:
        return TemplateAnalysis(template, source, None, list(analysis.problems))
    return TemplateAnalysis(template, source, analysis)


# The run's templates: cfn-lint lints its templates one after the other, each parsed when its turn comes. An
# application spans several, so the first of them asks for the others: they are parsed with cfn-lint's own
# decoder, and handed back to cfn-lint when their turn comes, so that each is parsed once.
_run: dict = {"files": None, "absolute": (), "config": None, "description": None}  # absolute: the files' paths
_decoded: dict = {}  # absolute path -> (size and modification time, cfn-lint's decode result)
_DECODED_KEPT = 256
# Absolute path -> the ScannedTemplate each template of this run is in its scan. The engine's cache knows parsed
# templates by identity: every template of an application must be the same object in the scan of each of them
# (the one cfn-lint lints, the others as decoded here), in the same order, or each template of the run would
# judge the whole application again.
_in_run: dict = {}


def _scan_of(template: Any, source: str) -> tuple:
    """(ScannedTemplates of the run, the run's deployment description) for the template being linted."""
    files = _run["files"] or []
    linted = os.path.abspath(source) if source != "<stdin>" else None
    if linted not in _run["absolute"]:
        return ([ScannedTemplate(source, template)], describe_scan([source] if source != "<stdin>" else []))
    scanned = []
    for path, key in zip(files, _run["absolute"]):
        if key == linted:
            kept = _in_run.get(key)
            if kept is None or kept.template is not template:
                kept = _in_run[key] = ScannedTemplate(path, template)
        else:
            if key not in _in_run:
                _in_run[key] = _decode_for_scan(path)
            kept = _in_run[key]
        scanned.append(kept)
    if _run["description"] is None:  # read once per run, as the templates are
        description = describe_scan(files)
        if len(files) == 1:  # cfn-lint takes parameter values for one template at a time
            declare_parameter_sets(description, _run["absolute"][0], _parameter_sets(_run["config"]))
        _run["description"] = description
    return scanned, _run["description"]


def _parameter_sets(config: Any) -> list:
    """(where the values come from, {name: value}) of each set of parameter values cfn-lint was given for the
    template it lints: `--parameters`, each of `--parameter-files`, each deployment file naming it."""
    try:
        parameter_sets = list(config.parameters or ())
    except Exception:  # another cfn-lint's configuration: the template is judged without them
        return []
    return [(getattr(parameter_set, "source", None) or "cfn-lint --parameters",
             getattr(parameter_set, "parameters", None)) for parameter_set in parameter_sets]


def _decode_for_scan(path: str) -> ScannedTemplate:
    from cfnlint.decode import decode

    key = os.path.abspath(path)
    stamp = _stamp(path)
    hit = _decoded.get(key)
    if hit is None or hit[0] != stamp:
        hit = _decoded[key] = (stamp, decode(path))
        while len(_decoded) > _DECODED_KEPT:
            _decoded.pop(next(iter(_decoded)))
    template, matches = hit[1]
    if matches or not isinstance(template, dict):
        return ScannedTemplate(path, None, problem=f"{path}: cfn-lint could not parse it")
    return ScannedTemplate(path, template)


def _stamp(path: str) -> tuple:
    try:
        status = os.stat(path)
    except OSError:
        return ()
    return status.st_size, status.st_mtime_ns


def _remember_run(run: Callable) -> Callable:
    """Rules.run, noting which templates the run lints (cfn-lint tells its rules only the current one)."""

    def run_noting_the_templates(rules: Any, filename: Any, cfn: Any, config: Any = None) -> Any:
        if config is not None and config is not _run["config"]:
            _run["config"] = config
            _run["description"] = None
            _in_run.clear()
            try:
                _run["files"] = list(config.templates or [])
            except Exception:  # a configuration cfn-lint itself cannot expand: lint the template alone
                _run["files"] = []
            _run["absolute"] = [os.path.abspath(path) for path in _run["files"]]
        return run(rules, filename, cfn, config)

    return run_noting_the_templates


def _decoded_once(decode: Callable) -> Callable:
    """cfn-lint's decode, handing back a template this adapter already decoded for an application."""

    def decode_once(filename: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(filename, str) and not args and not kwargs:
            hit = _decoded.get(os.path.abspath(filename))
            if hit is not None and hit[0] == _stamp(filename):
                return hit[1]
        return decode(filename, *args, **kwargs)

    return decode_once


def _install_hooks() -> None:
    try:
        import cfnlint.runner.template.runner as template_runner
        from cfnlint.rules import Rules
    except ImportError:  # another cfn-lint: templates are then linted one by one
        return
    wrap_once(Rules, "run", _remember_run)
    wrap_once(template_runner, "decode", _decoded_once)


_install_hooks()


def _suppressions(template_analysis: TemplateAnalysis) -> Suppressions:
    """What the user accepted in the templates of the application: read from their files, which also hold the
    skip comments; from cfn-lint's parsed template when there is no file (stdin). Imported here: only a
    template with a finding to report reads them."""
    from policies.suppressions import application_suppressions, document_suppressions

    filename, application = template_analysis.filename, template_analysis.analysis.application
    if filename and os.path.isfile(filename) and application is not None:
        return application_suppressions(application)
    return document_suppressions(template_analysis.template)


def unreadable_matches(cfn) -> list:
    """One match per catalog rule and resource it could not judge because of values the template gets
    wrong: at the first such value, naming each (see the module docstring)."""
    template_analysis = analysis_of(cfn)
    analysis = template_analysis.analysis
    unreadable: dict = {}  # (rule id, resource) -> {(reason, path): Unreadable}, in the order found
    for finding in analysis.with_unreadable_values() if analysis else ():
        here = [value for value in finding.unreadable if same_file(value.file, template_analysis.source)]
        if here and template_analysis.reported(finding):
            values = unreadable.setdefault((finding.rule_id, finding.resource), {})
            values.update(((value.reason, value.path), value) for value in here)
    matches = []
    for (rule_id, resource), values in unreadable.items():
        rule = RULES[rule_id]
        read = "; ".join(f"{'/'.join(map(str, value.path))}: {value.reason}" for value in values.values())
        message = f"hoplint could not judge {rule.cfn_lint_id} ({rule.id}) on {resource}: {read}"
        matches.append(RuleMatch(list(next(iter(values.values())).path), message))
    return matches


class CatalogRule(CloudFormationLintRule):
    """One rule of policies.catalog as a cfn-lint rule. Subclass with `hop_id="HOPnnn"`."""

    def __init_subclass__(cls, hop_id: str, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        rule = RULES[hop_id]
        cls.hop_id = rule.id
        cls.id = rule.cfn_lint_id
        cls.shortdesc = rule.title
        cls.description = rule.rationale
        cls.source_url = rule.doc_url
        cls.tags = ["hoplint", rule.id, *rule.subjects]

    def match(self, cfn) -> list:
        template_analysis = analysis_of(cfn)
        if template_analysis.analysis is None:
            return []
        return [
            RuleMatch(list(finding.path), finding.message)
            for finding in template_analysis.findings()
            if finding.rule_id == self.hop_id and finding.verdict == Verdict.FAILED
            and template_analysis.reported(finding)
        ]

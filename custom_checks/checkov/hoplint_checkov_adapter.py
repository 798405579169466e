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

Why details need a hook. The CloudFormation runner builds each ``Record`` without the check's
``details`` (``checkov/cloudformation/runner.py``, ``check_definitions``), so the concrete message
("service Api: task SG ApiSg allows tcp/80 from AlbSg, but the target port is 8080") would never reach
the CLI, JSON (``details``) or SARIF (result ``attachments``) output. ``Report.add_record`` is wrapped,
once per process, to fill the empty ``details`` of CloudFormation ``CKV_HOP_`` records from the engine's
findings (cached per template, so no second analysis). If checkov's internals change, the hook installs
nothing or fills nothing: records then lack details, and scanning goes on.
"""

from __future__ import annotations

import functools
import importlib.util
import logging
import sys
from pathlib import Path
from typing import Any

from checkov.cloudformation.checks.resource.base_resource_check import BaseResourceCheck
from checkov.common.bridgecrew.check_type import CheckType
from checkov.common.bridgecrew.severities import BcSeverities, Severities
from checkov.common.models.enums import CheckCategories, CheckResult


def _make_engine_importable() -> None:
    """Let a source checkout work without installing hoplint: its root holds the `policies` package."""
    repo_root = Path(__file__).resolve().parents[2]
    if importlib.util.find_spec("policies") is None and (repo_root / "policies" / "__init__.py").is_file():
        sys.path.append(str(repo_root))


_make_engine_importable()

import policies  # noqa: E402  (needs the path set above)
from policies import RULES, Rule, Verdict  # noqa: E402

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

# Set on the installed Report.add_record wrapper, so that reloading this module never wraps it twice.
DETAILS_HOOK_MARK = "_hoplint_fills_details"


class HoplintCheck(BaseResourceCheck):
    """A checkov check that reports the engine's verdict of one catalog rule on one resource."""

    rule: Rule  # set by each check class

    def __init__(self) -> None:
        super().__init__(
            name=self.rule.title,
            id=self.rule.checkov_id,
            categories=(CheckCategories.NETWORKING,),
            supported_resources=self.rule.cloudformation_types(),
            guideline=self.rule.doc_url,
        )
        self.severity = SEVERITY_OF_RULE[self.rule.severity]

    def scan_resource_conf(self, conf: dict[str, Any]) -> CheckResult:
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


def template_path(conf: dict[str, Any]) -> str | None:
    """The file checkov parsed this resource from, as checkov opened it (see the module docstring)."""
    for section in ("Properties", "Metadata"):
        mapping = conf.get(section)
        if isinstance(mapping, dict) and isinstance(mapping.get("__file__"), str):
            return mapping["__file__"]
    return None


def judge(template: str, rule: Rule, logical_id: str) -> tuple:
    """(verdict or None, messages of the findings that decide it) of `rule` on one resource of a template."""
    analysis = policies.analyze_file(template)
    if analysis.problems:
        logger.warning("hoplint: cannot judge %s: %s", template, "; ".join(analysis.problems))
        return None, []
    verdict, findings = analysis.verdict(rule.id, logical_id)
    return verdict, [finding.message for finding in findings if finding.verdict == verdict]


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
    add_record = getattr(Report, "add_record", None)
    if not callable(add_record) or getattr(add_record, DETAILS_HOOK_MARK, False):
        return

    @functools.wraps(add_record)
    def add_record_with_details(report: Any, record: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            fill_details(report, record)
        except Exception:  # details are a nicety: never lose the record over them
            logger.debug("hoplint: no details for a record", exc_info=True)
        return add_record(report, record, *args, **kwargs)

    setattr(add_record_with_details, DETAILS_HOOK_MARK, True)
    Report.add_record = add_record_with_details


_install_details_hook()

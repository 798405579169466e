"""Entry points: one template in, every rule's findings out, computed once per template per process."""

from __future__ import annotations

import hashlib
import os
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any, Callable

from policies.findings import Finding, Verdict, worst_verdict


@dataclass
class Analysis:
    """Every finding of every rule for one template."""

    source: str
    findings: list = field(default_factory=list)
    # Why the template could not be judged at all (unreadable file, not a template); empty when it could.
    problems: list = field(default_factory=list)
    # The deployments judged (policies.evaluate.Deployment: condition values and topology), for reports.
    deployments: list = field(default_factory=list)

    def for_rule(self, rule_id: str) -> list:
        return [f for f in self.findings if f.rule_id == rule_id]

    def for_resource(self, rule_id: str, resource: str) -> list:
        return [f for f in self.findings if f.rule_id == rule_id and f.resource == resource]

    def verdict(self, rule_id: str, resource: str) -> tuple:
        """(verdict, findings) of one rule on one resource; verdict None when the rule does not apply."""
        findings = self.for_resource(rule_id, resource)
        return worst_verdict(f.verdict for f in findings), findings


BUILD_COUNT = 0  # analyses built in this process; tests assert each template is built once
# Both tools finish one template before the next, so a few recent templates are all a run needs;
# the bound keeps a long-lived process (an editor's language server) from holding every version.
CACHE_SIZE = 64
_cache: OrderedDict = OrderedDict()
_cache_lock = threading.Lock()


def _cached(key: Any, build: Callable[[], Analysis], anchor: Any = None) -> Analysis:
    """Build once per key. `anchor` is kept alive with the entry, so an id() inside the key stays unique."""
    global BUILD_COUNT
    with _cache_lock:
        hit = _cache.get(key)
        if hit is None or hit[0] is not anchor:
            BUILD_COUNT += 1
            hit = (anchor, build())
            _cache[key] = hit
            if len(_cache) > CACHE_SIZE:
                _cache.popitem(last=False)
        _cache.move_to_end(key)
        return hit[1]


def analyze_file(path: str) -> Analysis:
    """Analyse a CloudFormation template file (YAML or JSON), keeping line numbers for every finding."""
    from policies.cloudformation.loader import load_template_text
    from policies.cloudformation.rules_runner import analyze_cloudformation

    try:
        with open(path, "rb") as handle:
            raw = handle.read()
    except OSError as error:
        return Analysis(source=path, problems=[f"cannot read {path}: {error.strerror}"])
    key = ("file", os.path.abspath(path), hashlib.sha256(raw).hexdigest())

    def build() -> Analysis:
        document, line_of, problem = load_template_text(raw, path)
        if problem:
            return Analysis(source=path, problems=[problem])
        return analyze_cloudformation(document, path, line_of)

    return _cached(key, build)


def analyze_document(document: dict, source: str, line_of: Callable | None = None) -> Analysis:
    """Analyse an already parsed CloudFormation template (e.g. cfn-lint's), cached per document object."""
    from policies.cloudformation.rules_runner import analyze_cloudformation

    return _cached(
        ("document", source, id(document)),
        lambda: analyze_cloudformation(document, source, line_of),
        anchor=document,
    )


__all__ = ["Analysis", "Finding", "Verdict", "analyze_file", "analyze_document"]

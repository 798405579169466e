"""Entry points: one template in, every rule's findings out, computed once per template per process."""

from __future__ import annotations

import contextlib
import gc
import hashlib
import logging
import os
import stat
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator

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
    # Findings by (rule, resource) and how many findings it covers; rebuilt when findings were added.
    _by_subject: tuple = field(default=(-1, None), init=False, repr=False, compare=False)

    def for_rule(self, rule_id: str) -> list:
        return [f for f in self.findings if f.rule_id == rule_id]

    def for_resource(self, rule_id: str, resource: str) -> list:
        # checkov asks once per check and resource: scanning every finding each time would make a run
        # quadratic in the template's size.
        indexed, by_subject = self._by_subject
        if indexed != len(self.findings):
            by_subject = {}
            for finding in self.findings:
                by_subject.setdefault((finding.rule_id, finding.resource), []).append(finding)
            self._by_subject = (len(self.findings), by_subject)
        return list(by_subject.get((rule_id, resource), ()))

    def verdict(self, rule_id: str, resource: str) -> tuple:
        """(verdict, findings) of one rule on one resource; verdict None when the rule does not apply."""
        findings = self.for_resource(rule_id, resource)
        return worst_verdict(f.verdict for f in findings), findings


logger = logging.getLogger(__name__)

BUILD_COUNT = 0  # analyses built in this process; tests assert each template is built once
# Both tools finish one template before the next, so a few recent templates are all a run needs;
# the bound keeps a long-lived process (an editor's language server) from holding every version.
CACHE_SIZE = 64
_cache: OrderedDict = OrderedDict()
_cache_lock = threading.Lock()


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while the engine allocates what it keeps.

    An analysis allocates an object for every value, property and finding, and frees few of them, none in a
    cycle. Inside checkov, whose graph fills the heap, the collections those allocations would trigger each
    scan that whole heap again, costing more than the analysis itself.
    """
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()


def cached(key: Any, build: Callable[[], Analysis], anchor: Any = None) -> Analysis:
    """Build once per key. `anchor` is kept alive with the entry, so an id() inside the key stays unique."""
    global BUILD_COUNT
    with _cache_lock:
        hit = _cache.get(key)
        if hit is None or hit[0] is not anchor:
            BUILD_COUNT += 1
            with collector_paused():
                hit = (anchor, build())
            _cache[key] = hit
            if len(_cache) > CACHE_SIZE:
                _cache.popitem(last=False)
        _cache.move_to_end(key)
        return hit[1]


def _reported(source: str, build: Callable[[], Analysis]) -> Callable[[], Analysis]:
    """`build`, turning any exception into a problem of the template: the host tool must keep running."""

    def build_or_report() -> Analysis:
        try:
            return build()
        except Exception as error:  # noqa: BLE001 - whatever the template does to the engine
            logger.debug("hoplint could not analyse %s", source, exc_info=True)
            return Analysis(source=source, problems=[
                f"{source}: hoplint could not analyse it ({type(error).__name__}: {error})"])

    return build_or_report


# CloudFormation takes templates of up to 1 MB: a file ten times larger is no template, refused unread.
MAX_TEMPLATE_BYTES = 10_000_000


def analyze_file(path: str) -> Analysis:
    """Analyse a CloudFormation template file (YAML or JSON), keeping line numbers for every finding.

    Never raises: a file that cannot be read or judged is an Analysis whose `problems` say why.
    """
    from policies.cloudformation.loader import load_template_text
    from policies.cloudformation.rules_runner import analyze_cloudformation

    try:
        with open(path, "rb") as handle:
            raw = handle.read(_read_limit(handle))
    except OSError as error:
        return Analysis(source=path, problems=[f"cannot read {path}: {error.strerror or error}"])
    if len(raw) > MAX_TEMPLATE_BYTES:
        return Analysis(source=path, problems=[f"{path}: larger than {MAX_TEMPLATE_BYTES} bytes, not analysed"])
    key = ("file", os.path.abspath(path), hashlib.sha256(raw).hexdigest())

    def build() -> Analysis:
        document, line_of, problem = load_template_text(raw, path)
        if problem:
            return Analysis(source=path, problems=[problem])
        return analyze_cloudformation(document, path, line_of)

    return cached(key, _reported(path, build))


def _read_limit(handle: Any) -> int:
    """Bytes to ask for: one past the limit shows a file too large, and a regular file's own size keeps
    read() from reserving the whole limit for a small template."""
    status = os.fstat(handle.fileno())
    size = status.st_size if stat.S_ISREG(status.st_mode) else MAX_TEMPLATE_BYTES
    return min(size, MAX_TEMPLATE_BYTES) + 1


def analyze_document(document: dict, source: str, line_of: Callable | None = None) -> Analysis:
    """Analyse an already parsed CloudFormation template (e.g. cfn-lint's), cached per document object.

    Never raises: a document that cannot be judged is an Analysis whose `problems` say why.
    """
    from policies.cloudformation.rules_runner import analyze_cloudformation

    return cached(
        ("document", source, id(document)),
        _reported(source, lambda: analyze_cloudformation(document, source, line_of)),
        anchor=document,
    )


__all__ = ["Analysis", "Finding", "Verdict", "analyze_file", "analyze_document"]

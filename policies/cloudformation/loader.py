"""Read a CloudFormation template (YAML with short-form tags, or JSON) and remember where each key is."""

from __future__ import annotations

import hashlib
import json
import os
import stat
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Callable

import yaml

from policies.collector import collector_paused

# Aliases are shared objects once loaded, but walking them multiplies: a "billion laughs" document is a
# few hundred bytes. No real template needs more than a handful.
MAX_ALIASES = 100
_MERGE_TAG = "tag:yaml.org,2002:merge"


class MarkedDict(dict):
    """A mapping that knows the 1-based line of each of its keys."""

    key_lines: dict

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.key_lines = {}


class MarkedList(list):
    """A sequence that knows the 1-based line of each of its items."""

    item_lines: list

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.item_lines = []


# libyaml (PyYAML's C parser, in every PyYAML wheel) reads a template about five times faster than the
# pure-Python parser, with the same nodes and line marks. checkov has parsed the template once already:
# the pack should not cost as much again.
_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _TemplateLoader(_SafeLoader):
    """PyYAML's safe loader, refusing alias bombs and keys given twice as it constructs: libyaml composes
    the nodes in C, and the construction visits each of them once anyway (a separate walk over the nodes
    cost a fifth of the parse)."""

    def __init__(self, stream: Any) -> None:
        super().__init__(stream)
        self.aliases = 0

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        # A node constructed already is reached again through an alias: one more reference to the same
        # object, counted before anything walks the expansion.
        if node in self.constructed_objects:
            self.aliases += 1
            if self.aliases > MAX_ALIASES:
                raise yaml.YAMLError(f"more than {MAX_ALIASES} YAML aliases (refused: alias expansion bomb)")
        return super().construct_object(node, deep=deep)


def _refuse_duplicate_keys(pairs: list) -> None:
    """A key given twice makes the template ambiguous: YAML loaders keep one value or the other.

    Merge keys (`<<: *base`) may repeat keys of the merged mapping: overriding them is what they are for.
    """
    first_lines: dict = {}
    for key_node, _ in pairs:
        if isinstance(key_node, yaml.ScalarNode) and key_node.tag != _MERGE_TAG:
            key, line = (key_node.tag, key_node.value), key_node.start_mark.line + 1
            if key in first_lines:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key_node.value!r} (first at line {first_lines[key]}): the "
                    f"template is ambiguous", key_node.start_mark)
            first_lines[key] = line


def _construct_mapping(loader: _TemplateLoader, node: yaml.MappingNode) -> MarkedDict:
    written = list(node.value)  # the keys as written: flatten_mapping puts merged ones in front
    loader.flatten_mapping(node)
    mapping = MarkedDict()
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, (str, int, float, bool)) and key is not None:
            raise yaml.constructor.ConstructorError(
                None, None, f"unhashable mapping key at line {key_node.start_mark.line + 1}", key_node.start_mark
            )
        mapping[key] = loader.construct_object(value_node, deep=True)
        mapping.key_lines[key] = key_node.start_mark.line + 1
    if len(mapping) < len(node.value):  # a key twice, or a merged key overridden: tell which
        _refuse_duplicate_keys(written)
    return mapping


def _construct_sequence(loader: _TemplateLoader, node: yaml.SequenceNode) -> MarkedList:
    sequence = MarkedList(loader.construct_object(child, deep=True) for child in node.value)
    sequence.item_lines = [child.start_mark.line + 1 for child in node.value]
    return sequence


def _construct_short_form(loader: _TemplateLoader, tag_suffix: str, node: yaml.Node) -> MarkedDict:
    """`!GetAtt A.B` -> {"Fn::GetAtt": ["A", "B"]}, `!Ref X` -> {"Ref": "X"}, `!Sub s` -> {"Fn::Sub": s}."""
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
        if tag_suffix == "GetAtt" and isinstance(value, str):
            value = MarkedList(value.split(".", 1))
            value.item_lines = [node.start_mark.line + 1] * len(value)
    elif isinstance(node, yaml.SequenceNode):
        value = _construct_sequence(loader, node)
    else:
        value = _construct_mapping(loader, node)
    key = tag_suffix if tag_suffix in ("Ref", "Condition") else f"Fn::{tag_suffix}"
    intrinsic = MarkedDict({key: value})
    intrinsic.key_lines[key] = node.start_mark.line + 1
    return intrinsic


_TemplateLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_TemplateLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)
_TemplateLoader.add_multi_constructor("!", _construct_short_form)


def line_finder(document: Any) -> Callable[[tuple], int | None]:
    """Line of the deepest existing key along `path` (a missing tail falls back to its parent's line)."""

    def line_of(path: tuple) -> int | None:
        node, line = document, None
        for step in path:
            if isinstance(node, MarkedDict) and step in node:
                line = node.key_lines.get(step, line)
            elif isinstance(node, MarkedList) and isinstance(step, int) and 0 <= step < len(node):
                line = node.item_lines[step]
            else:
                break
            node = node[step]
        return line

    return line_of


def load_template_text(raw: bytes, source: str) -> tuple:
    """(document, line_of, problem): problem says why `raw` is no template we can judge, else None."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        return None, None, f"{source}: not UTF-8 text ({error.reason} at byte {error.start})"
    if text.lstrip().startswith("{"):
        # JSON allows tabs as white space, YAML does not; spaces keep every line and column count.
        text = text.replace("\t", " ")
    try:
        document = _parse_yaml(text)
    except RecursionError:
        return None, None, f"{source}: nested too deeply to read"
    except yaml.YAMLError as error:
        document = _json_fallback(text)
        if document is None:
            return None, None, f"{source}: not valid YAML or JSON: {_yaml_error_text(error)}"
    if not isinstance(document, dict) or not isinstance(document.get("Resources"), dict):
        return None, None, f"{source}: not a CloudFormation template (no Resources mapping)"
    return document, line_finder(document), None


def _parse_yaml(text: str) -> Any:
    """yaml.load with the cyclic garbage collector paused: parsing allocates objects for every node and
    value, all kept and none in a cycle (a 4,000-resource template parses 1.5 times faster)."""
    with collector_paused():
        return yaml.load(text, Loader=_TemplateLoader)  # noqa: S506 - a SafeLoader subclass


def _json_fallback(text: str) -> Any:
    """JSON that PyYAML's YAML 1.1 rejects (rare escapes) still loads, without line numbers."""
    try:
        return json.loads(text, object_pairs_hook=_mapping_without_duplicates)
    except (ValueError, RecursionError):
        return None


def _mapping_without_duplicates(pairs: list) -> dict:
    mapping = dict(pairs)
    if len(mapping) < len(pairs):
        raise ValueError("duplicate key: the template is ambiguous")
    return mapping


def _yaml_error_text(error: yaml.YAMLError) -> str:
    mark = getattr(error, "problem_mark", None)
    problem = getattr(error, "problem", None) or str(error)
    return f"{problem} (line {mark.line + 1}, column {mark.column + 1})" if mark else problem


@dataclass(eq=False, repr=False)
class ScannedTemplate:
    """One template a run scans: parsed, with the line of each key, or why it is no template to judge."""

    source: str  # the path as the tool or the user named it
    template: Any  # the parsed document: a mapping with Resources when it is a template, else None
    line_of: Callable | None = None  # path inside the document -> 1-based line, when the reader kept them
    problem: str | None = None  # why the file is no template the engine can judge
    digest: str = ""  # of the bytes read, so that an edited file is read again
    # The reader measured the document as it read it: a tree (no YAML alias shares a mapping or list) within the
    # document limits, which need not be measured again (policies.document_limits).
    measured: bool = False


# CloudFormation takes templates of up to 1 MB: a file ten times larger is no template, refused unread.
MAX_TEMPLATE_BYTES = 10_000_000
# A run reads each file once, however many stacks deploy it or rules ask: recent reads by path and content.
_READS_KEPT = 256
_reads: OrderedDict = OrderedDict()
_reads_lock = threading.Lock()
TEMPLATES_PARSED = 0  # files this process parsed itself; tests assert that checkov's parse is taken instead


def read_template_file(path: str) -> ScannedTemplate:
    """The template in the file `path`; never raises: a file that cannot be read or judged says why."""
    try:
        with open(path, "rb") as handle:
            raw = handle.read(_read_limit(handle))
    except OSError as error:
        return ScannedTemplate(path, None, problem=f"cannot read {path}: {error.strerror or error}")
    if len(raw) > MAX_TEMPLATE_BYTES:
        return ScannedTemplate(path, None, problem=f"{path}: larger than {MAX_TEMPLATE_BYTES} bytes, not analysed")
    digest = hashlib.sha256(raw).hexdigest()
    key = (os.path.abspath(path), digest)
    with _reads_lock:
        scanned = _reads.get(key)
        if scanned is None or scanned.source != path:
            global TEMPLATES_PARSED
            TEMPLATES_PARSED += 1
            document, line_of, problem = load_template_text(raw, path)
            scanned = ScannedTemplate(path, document, line_of, problem, digest)
            _reads[key] = scanned
            if len(_reads) > _READS_KEPT:
                _reads.popitem(last=False)
        _reads.move_to_end(key)
        return scanned


def _read_limit(handle: Any) -> int:
    """Bytes to ask for: one past the limit shows a file too large, and a regular file's own size keeps
    read() from reserving the whole limit for a small template."""
    status = os.fstat(handle.fileno())
    size = status.st_size if stat.S_ISREG(status.st_mode) else MAX_TEMPLATE_BYTES
    return min(size, MAX_TEMPLATE_BYTES) + 1

"""A strict parser of the Mermaid flowchart subset `hoplint explain --format mermaid` writes.

Mermaid itself needs a browser DOM to parse, so the tests parse with this instead: it accepts only the
statements below, each on its own line, and rejects anything else, so output that drifts from the subset
(an unescaped quote, a link to an undefined node, a class nobody defines) fails loudly. The subset was
checked against Mermaid 11's own parser once (mermaid.parse under jsdom).

    flowchart LR
      subgraph ID["TEXT"]          (not nested)
        direction LR
        ID(["TEXT"])               stadium: the client
        ID["TEXT"]                 rectangle: listener, target group, service
        ID>"TEXT"]                 flag: a note
        ID --> ID   ID -->|"TEXT"| ID   ID -.- ID
        class ID[,ID...] NAME
      end
      classDef NAME STYLE
      class ID[,ID...] NAME
      linkStyle N[,N...] STYLE

TEXT has no double quote, `<` and `>` only in `<br/>`, `#` only in entity codes (`#quot;`, `#35;`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

ID = r"[A-Za-z][A-Za-z0-9_]*"
TEXT = r'"((?:[^"<>#]|<br/>|#[a-z]+;|#\d+;)*)"'
NODE_SHAPES = {"stadium": (r"\(\[", r"\]\)"), "rectangle": (r"\[", r"\]"), "flag": (">", r"\]")}
STATEMENTS = {
    "subgraph": re.compile(rf"^  subgraph ({ID})\[{TEXT}\]$"),
    "direction": re.compile(r"^    direction LR$"),
    "end": re.compile(r"^  end$"),
    **{shape: re.compile(rf"^    ({ID}){opening}{TEXT}{closing}$")
       for shape, (opening, closing) in NODE_SHAPES.items()},
    "link": re.compile(rf"^    ({ID}) (-->|-\.-)(?:\|{TEXT}\|)? ({ID})$"),
    "class": re.compile(rf"^ {{2,4}}class ({ID}(?:,{ID})*) ({ID})$"),
    "classDef": re.compile(rf"^  classDef ({ID}) ([a-z-]+:[#\w]+(?:,[a-z-]+:[#\w]+)*)$"),
    "linkStyle": re.compile(r"^  linkStyle (\d+(?:,\d+)*) ([a-z-]+:[#\w]+(?:,[a-z-]+:[#\w]+)*)$"),
}
ENTITIES = {"#quot;": '"', "#lt;": "<", "#gt;": ">", "#35;": "#", "#124;": "|"}


class MermaidError(ValueError):
    pass


@dataclass
class Flowchart:
    subgraphs: dict = field(default_factory=dict)  # id -> title
    nodes: dict = field(default_factory=dict)  # id -> (shape, text, subgraph id)
    links: list = field(default_factory=list)  # (source, arrow, text, target)
    classes: dict = field(default_factory=dict)  # node id -> class name
    class_defs: dict = field(default_factory=dict)  # class name -> style
    styled_links: dict = field(default_factory=dict)  # link index -> style

    def nodes_in(self, subgraph: str) -> dict:
        return {node: (shape, text) for node, (shape, text, parent) in self.nodes.items() if parent == subgraph}


def decode(text: str) -> str:
    """Label text as Mermaid shows it: entities decoded, line breaks as newlines."""
    text = text.replace("<br/>", "\n")
    return re.sub(r"#(?:[a-z]+|\d+);", lambda match: ENTITIES[match.group(0)], text)


def parse(source: str) -> Flowchart:
    lines = source.splitlines()
    if not lines or lines[0] != "flowchart LR":
        raise MermaidError("the first line must be `flowchart LR`")
    chart, subgraph = Flowchart(), None
    for number, line in enumerate(lines[1:], start=2):
        kind, match = next(((k, m) for k, pattern in STATEMENTS.items() if (m := pattern.match(line))), (None, None))
        if kind is None:
            raise MermaidError(f"line {number}: not in the subset: {line!r}")
        inside = kind in ("direction", *NODE_SHAPES, "link", "end") or (kind == "class" and line.startswith("    "))
        if inside != (subgraph is not None):
            raise MermaidError(f"line {number}: {kind} {'outside' if not subgraph else 'inside'} a subgraph")
        if kind == "subgraph":
            subgraph = match.group(1)
            _new(chart.subgraphs, subgraph, decode(match.group(2)), number)
        elif kind == "end":
            subgraph = None
        elif kind in NODE_SHAPES:
            _new(chart.nodes, match.group(1), (kind, decode(match.group(2)), subgraph), number)
        elif kind == "link":
            source, arrow, text, target = match.groups()
            for node in (source, target):
                if node not in chart.nodes:
                    raise MermaidError(f"line {number}: link to undefined node {node}")
            chart.links.append((source, arrow, decode(text or ""), target))
        elif kind == "class":
            for node in match.group(1).split(","):
                if node not in chart.nodes:
                    raise MermaidError(f"line {number}: class of undefined node {node}")
                _new(chart.classes, node, match.group(2), number)
        elif kind == "classDef":
            _new(chart.class_defs, match.group(1), match.group(2), number)
        elif kind == "linkStyle":
            for index in map(int, match.group(1).split(",")):
                _new(chart.styled_links, index, match.group(2), number)
    if subgraph is not None:
        raise MermaidError(f"subgraph {subgraph} has no end")
    undefined = set(chart.classes.values()) - set(chart.class_defs)
    if undefined:
        raise MermaidError(f"classes without classDef: {sorted(undefined)}")
    if any(index >= len(chart.links) for index in chart.styled_links):
        raise MermaidError("linkStyle of a link that does not exist")
    return chart


def _new(mapping: dict, key, value, number: int) -> None:
    if key in mapping:
        raise MermaidError(f"line {number}: {key} defined twice")
    mapping[key] = value

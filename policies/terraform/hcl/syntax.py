"""HCL native syntax: configuration files and template files -> syntax trees, without evaluating anything.

A recursive-descent reader of the HCL 2 specification (hashicorp/hcl, hclsyntax/spec.md): bodies of
attributes and blocks; expressions with Terraform's operator precedence, conditionals, function calls,
`for` expressions, splats and traversals; quoted and heredoc templates with interpolations and `%{if}` /
`%{for}` directives, strip markers and escapes. Each node keeps its source span, so an unknown value can
name the expression it came from.

Bounded: nesting deeper than MAX_NESTING (brackets, braces, blocks, templates together) is a SyntaxProblem,
so no input can exhaust Python's stack.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field
from typing import Any

MAX_NESTING = 100


class SyntaxProblem(ValueError):
    """Text that is not HCL this reader understands; the message says where."""


# -- the syntax tree ----------------------------------------------------------------------------------


class Node:
    __slots__ = ("source", "start", "end")

    def text(self) -> str:
        return self.source.text[self.start:self.end]


class Literal(Node):
    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value


class Template(Node):
    """A quoted string or heredoc: literal text and Interpolation/TemplateIf/TemplateFor parts."""

    __slots__ = ("parts",)

    def __init__(self, parts: list) -> None:
        self.parts = parts


class Interpolation(Node):
    __slots__ = ("expression", "strip_before", "strip_after")

    def __init__(self, expression: Node, strip_before: bool, strip_after: bool) -> None:
        self.expression, self.strip_before, self.strip_after = expression, strip_before, strip_after


class TemplateIf(Node):
    __slots__ = ("condition", "then", "otherwise")

    def __init__(self, condition: Node, then: list, otherwise: list) -> None:
        self.condition, self.then, self.otherwise = condition, then, otherwise


class TemplateFor(Node):
    __slots__ = ("key_name", "value_name", "collection", "body")

    def __init__(self, key_name: str | None, value_name: str, collection: Node, body: list) -> None:
        self.key_name, self.value_name, self.collection, self.body = key_name, value_name, collection, body


class Variable(Node):
    """The root of a traversal: var, local, module, data, each, count, path, a resource type, an iterator."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name


class GetAttr(Node):
    __slots__ = ("target", "name")

    def __init__(self, target: Node, name: str) -> None:
        self.target, self.name = target, name


class Index(Node):
    __slots__ = ("target", "key")

    def __init__(self, target: Node, key: Node) -> None:
        self.target, self.key = target, key


class Splat(Node):
    """`target[*].a.b` (full) or `target.*.a` (attribute-only): `each` applies to every element."""

    __slots__ = ("target", "each")

    def __init__(self, target: Node, each: Node) -> None:
        self.target, self.each = target, each


class SplatItem(Node):
    """Stands for the element inside a Splat's `each` expression."""

    __slots__ = ()


class Call(Node):
    __slots__ = ("name", "arguments", "expand_last")

    def __init__(self, name: str, arguments: list, expand_last: bool) -> None:
        self.name, self.arguments, self.expand_last = name, arguments, expand_last


class TupleCons(Node):
    __slots__ = ("items",)

    def __init__(self, items: list) -> None:
        self.items = items


class ObjectCons(Node):
    """Items are (key, value); a bare identifier key is a Literal string, as HCL reads it."""

    __slots__ = ("items",)

    def __init__(self, items: list) -> None:
        self.items = items


class Conditional(Node):
    __slots__ = ("condition", "then", "otherwise")

    def __init__(self, condition: Node, then: Node, otherwise: Node) -> None:
        self.condition, self.then, self.otherwise = condition, then, otherwise


class Binary(Node):
    __slots__ = ("operator", "left", "right")

    def __init__(self, operator: str, left: Node, right: Node) -> None:
        self.operator, self.left, self.right = operator, left, right


class Unary(Node):
    __slots__ = ("operator", "operand")

    def __init__(self, operator: str, operand: Node) -> None:
        self.operator, self.operand = operator, operand


class For(Node):
    """`[for k, v in c : value if cond]` (key None) or `{for k, v in c : key => value... if cond}`."""

    __slots__ = ("key_name", "value_name", "collection", "key", "value", "condition", "grouping")

    def __init__(self, key_name: str | None, value_name: str, collection: Node, key: Node | None, value: Node,
                 condition: Node | None, grouping: bool) -> None:
        self.key_name, self.value_name, self.collection = key_name, value_name, collection
        self.key, self.value, self.condition, self.grouping = key, value, condition, grouping


class Parenthesized(Node):
    """Kept only to tell `(key) = v` (an expression key) from `key = v` (a literal key) in objects."""

    __slots__ = ("expression",)

    def __init__(self, expression: Node) -> None:
        self.expression = expression


@dataclass(eq=False, repr=False)
class Attribute:
    """`name = expression` in a body."""

    name: str
    expression: Node
    line: int


@dataclass(eq=False, repr=False)
class Block:
    """`type "label" ... { body }` in a body, with the lines it spans in its file."""

    type: str
    labels: list
    body: "Body"
    start_line: int
    end_line: int
    file: str


@dataclass(eq=False, repr=False)
class Body:
    """The attributes and nested blocks of a file or of a block."""

    attributes: dict = field(default_factory=dict)  # name -> Attribute, in source order
    blocks: list = field(default_factory=list)  # Block, in source order


class Source:
    """The text of one file, for node spans and line numbers."""

    def __init__(self, text: str, name: str) -> None:
        self.text, self.name = text, name
        self._newlines: list | None = None

    def line(self, offset: int) -> int:
        if self._newlines is None:
            self._newlines = [match.start() for match in re.finditer("\n", self.text)]
        return bisect.bisect_left(self._newlines, offset) + 1


# -- reading ------------------------------------------------------------------------------------------

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")
_NUMBER = re.compile(r"[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")
_BLANKS = re.compile(r"(?:[ \t\r]+|#[^\n]*|//[^\n]*|/\*.*?\*/)+", re.DOTALL)
_BLANKS_AND_NEWLINES = re.compile(r"(?:[ \t\r\n]+|#[^\n]*|//[^\n]*|/\*.*?\*/)+", re.DOTALL)
_BLANK_STARTS = frozenset(" \t\r\n#/")
# Literal text of a template up to the next character that may start something else.
_QUOTED_LITERAL = re.compile(r'[^"\\$%\n]+')
_HEREDOC_LITERAL = re.compile(r"[^$%]+")
_HEREDOC = re.compile(r"<<(-?)([A-Za-z_][A-Za-z0-9_-]*)[ \t]*\r?\n")
# Binary operators by precedence, lowest first (HCL: ||, &&, == !=, < <= > >=, + -, * / %).
_PRECEDENCE = {"||": 1, "&&": 2, "==": 3, "!=": 3, "<": 4, "<=": 4, ">": 4, ">=": 4, "+": 5, "-": 5,
               "*": 6, "/": 6, "%": 6}
_OPERATOR = re.compile(r"\|\||&&|==|!=|<=|>=|<(?!<)|>|\+|-|\*|/(?![/*])|%")
_DIGITS = re.compile(r"[0-9]+")
_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", '"': '"', "\\": "\\"}
_KEYWORDS = {"true": True, "false": False, "null": None}


def parse_file(text: str, name: str) -> Body:
    """The body of a configuration file (.tf or .tfvars)."""
    parser = _Parser(Source(text, name))
    body = parser.body(top_level=True)
    return body


def parse_template(text: str, name: str) -> Template:
    """A template file (templatefile(), a template_file data source): literal text with interpolations."""
    parser = _Parser(Source(text, name))
    start = parser.pos
    parts = parser.template_parts(end=None, heredoc=True)
    return parser.node(Template(parts), start)


def parse_expression(text: str, name: str) -> Node:
    parser = _Parser(Source(text, name))
    parser.skip(newlines=True)
    expression = parser.expression()
    parser.skip(newlines=True)
    if parser.pos != len(text):
        parser.fail("unexpected text after the expression")
    return expression


class _Parser:
    def __init__(self, source: Source) -> None:
        self.source, self.text, self.pos = source, source.text, 0
        self.depth = 0
        self.newlines_are_space = 0  # > 0 inside brackets, where a newline ends nothing

    # -- scanning ---------------------------------------------------------------------------------

    def fail(self, message: str) -> None:
        raise SyntaxProblem(f"{self.source.name}:{self.source.line(self.pos)}: {message}")

    def skip(self, newlines: bool | None = None) -> None:
        pos = self.pos
        if pos >= len(self.text) or self.text[pos] not in _BLANK_STARTS:
            return
        if newlines is None:
            newlines = self.newlines_are_space > 0
        match = (_BLANKS_AND_NEWLINES if newlines else _BLANKS).match(self.text, pos)
        if match:
            self.pos = match.end()

    def peek(self, token: str) -> bool:
        """Whether `token` comes next; blanks before it are consumed only when it does."""
        before = self.pos
        self.skip()
        if self.text.startswith(token, self.pos):
            return True
        self.pos = before
        return False

    def accept(self, token: str) -> bool:
        if self.peek(token):
            self.pos += len(token)
            return True
        return False

    def expect(self, token: str) -> None:
        if not self.accept(token):
            found = self.text[self.pos:self.pos + 12].split("\n")[0]
            self.fail(f"expected {token!r}, found {found!r}" if found else f"expected {token!r} at the end")

    def identifier(self) -> str:
        self.skip()
        match = _IDENTIFIER.match(self.text, self.pos)
        if not match:
            self.fail("expected a name")
        self.pos = match.end()
        return match.group()

    def node(self, node: Node, start: int) -> Node:
        node.source, node.start, node.end = self.source, start, self.pos
        return node

    def enter(self) -> None:
        self.depth += 1
        if self.depth > MAX_NESTING:
            self.fail(f"nested deeper than {MAX_NESTING} levels")

    def leave(self) -> None:
        self.depth -= 1

    # -- bodies -----------------------------------------------------------------------------------

    def body(self, top_level: bool = False) -> Body:
        body = Body()
        while True:
            self.skip(newlines=True)
            if self.pos >= len(self.text):
                if not top_level:
                    self.fail("a block is not closed")
                return body
            if self.text.startswith("}", self.pos):
                if top_level:
                    self.fail("unexpected '}'")
                return body
            start = self.pos
            name = self.identifier()
            self.skip(newlines=False)
            if self.text.startswith("=", self.pos) and not self.text.startswith("==", self.pos):
                self.pos += 1
                self.skip(newlines=False)
                expression = self.expression()
                self.end_of_line()
                if name in body.attributes:
                    self.fail(f"argument {name!r} is given twice")
                body.attributes[name] = Attribute(name, expression, self.source.line(start))
            else:
                body.blocks.append(self.block(name, start))

    def block(self, block_type: str, start: int) -> Block:
        labels = []
        while True:
            self.skip(newlines=False)
            if self.text.startswith("{", self.pos):
                break
            if self.text.startswith('"', self.pos):
                label = self.quoted_template()
                if any(not isinstance(part, str) for part in label.parts):
                    self.fail("a block label cannot hold interpolations")
                labels.append("".join(label.parts))
            else:
                labels.append(self.identifier())
        self.pos += 1
        self.enter()
        body = self.body()
        self.leave()
        self.expect("}")
        end_line = self.source.line(self.pos - 1)
        self.end_of_line()
        return Block(block_type, labels, body, self.source.line(start), end_line, self.source.name)

    def end_of_line(self) -> None:
        self.skip(newlines=False)
        if self.pos < len(self.text) and self.text[self.pos] not in "\n}":
            self.fail("expected the end of the line")

    # -- expressions ------------------------------------------------------------------------------

    def expression(self) -> Node:
        start = self.pos
        condition = self.binary(0)
        if self.accept("?"):
            then = self.expression()
            self.expect(":")
            otherwise = self.expression()
            return self.node(Conditional(condition, then, otherwise), start)
        return condition

    def binary(self, minimum: int) -> Node:
        self.skip()
        start = self.pos
        left = self.unary()
        while True:
            before = self.pos
            self.skip()
            match = _OPERATOR.match(self.text, self.pos)
            if not match or _PRECEDENCE[match.group()] <= minimum:
                self.pos = before
                return left
            self.pos = match.end()
            self.enter()
            right = self.binary(_PRECEDENCE[match.group()])
            self.leave()
            left = self.node(Binary(match.group(), left, right), start)

    def unary(self) -> Node:
        self.skip()
        start = self.pos
        if self.text.startswith("!", self.pos) and not self.text.startswith("!=", self.pos) or \
                self.text.startswith("-", self.pos):
            operator = self.text[self.pos]
            self.pos += 1
            self.enter()
            operand = self.unary()
            self.leave()
            return self.node(Unary(operator, operand), start)
        return self.postfix(self.term())

    def postfix(self, target: Node) -> Node:
        start = target.start
        while True:
            before = self.pos
            self.skip()
            if self.text.startswith("[*]", self.pos):
                self.pos += 3
                target = self.node(Splat(target, self.splat_traversal(full=True)), start)
            elif self.text.startswith(".*", self.pos):
                self.pos += 2
                target = self.node(Splat(target, self.splat_traversal(full=False)), start)
            elif self.text.startswith(".", self.pos) and not self.text.startswith("...", self.pos):
                self.pos += 1
                target = self.node(self.attribute_or_legacy_index(target), start)
            elif self.text.startswith("[", self.pos):
                self.pos += 1
                self.newlines_are_space += 1
                self.enter()
                key = self.expression()
                self.leave()
                self.expect("]")
                self.newlines_are_space -= 1
                target = self.node(Index(target, key), start)
            else:
                self.pos = before
                return target

    def attribute_or_legacy_index(self, target: Node) -> Node:
        self.skip()
        number = _DIGITS.match(self.text, self.pos)
        if number:
            self.pos = number.end()
            return Index(target, self.node(Literal(int(number.group())), number.start()))
        return GetAttr(target, self.identifier())

    def splat_traversal(self, full: bool) -> Node:
        """The traversal a splat applies to each element: attributes (and, for [*], indexes) after it."""
        start = self.pos
        each: Node = self.node(SplatItem(), start)
        while True:
            if self.text.startswith(".", self.pos) and not self.text.startswith(".*", self.pos):
                self.pos += 1
                each = self.node(self.attribute_or_legacy_index(each), start)
            elif full and self.text.startswith("[", self.pos) and not self.text.startswith("[*]", self.pos):
                self.pos += 1
                self.newlines_are_space += 1
                key = self.expression()
                self.expect("]")
                self.newlines_are_space -= 1
                each = self.node(Index(each, key), start)
            else:
                return each

    def term(self) -> Node:
        self.skip()
        start = self.pos
        char = self.text[self.pos:self.pos + 1]
        if not char:
            self.fail("expected an expression")
        if char == '"':
            return self.quoted_template()
        if char == "<":
            return self.heredoc()
        if char == "(":
            self.pos += 1
            self.newlines_are_space += 1
            self.enter()
            inner = self.expression()
            self.leave()
            self.expect(")")
            self.newlines_are_space -= 1
            return self.node(Parenthesized(inner), start)
        if char == "[":
            return self.tuple_or_for(start)
        if char == "{":
            return self.object_or_for(start)
        number = _NUMBER.match(self.text, self.pos)
        if number:
            self.pos = number.end()
            text = number.group()
            value = float(text) if any(c in text for c in ".eE") else int(text)
            if isinstance(value, float) and value.is_integer() and abs(value) < 2 ** 53:
                value = int(value)
            return self.node(Literal(value), start)
        name = self.identifier()
        if name in _KEYWORDS:
            return self.node(Literal(_KEYWORDS[name]), start)
        if self.text.startswith("::", self.pos):  # a provider-defined function: provider::name::function
            while self.text.startswith("::", self.pos):
                self.pos += 2
                name += "::" + self.identifier()
        if self.text.startswith("(", self.pos):
            return self.call(name, start)
        return self.node(Variable(name), start)

    def call(self, name: str, start: int) -> Node:
        self.pos += 1
        self.newlines_are_space += 1
        self.enter()
        arguments, expand_last = [], False
        while not self.peek(")"):
            arguments.append(self.expression())
            if self.accept("..."):
                expand_last = True
                break
            if not self.accept(","):
                break
        self.leave()
        self.expect(")")
        self.newlines_are_space -= 1
        return self.node(Call(name, arguments, expand_last), start)

    def for_intro(self) -> tuple:
        """After `for`: (key name or None, value name, collection), and the ':' consumed."""
        first = self.identifier()
        second = None
        if self.accept(","):
            second = self.identifier()
        if self.identifier() != "in":
            self.fail("expected 'in' in a for expression")
        collection = self.expression()
        self.expect(":")
        return (first, second, collection) if second is not None else (None, first, collection)

    def starts_for(self) -> bool:
        self.skip()
        match = _IDENTIFIER.match(self.text, self.pos)
        return bool(match and match.group() == "for" and self.text[match.end():match.end() + 1] in " \t\n\r")

    def tuple_or_for(self, start: int) -> Node:
        self.pos += 1
        self.newlines_are_space += 1
        self.enter()
        if self.starts_for():
            self.identifier()
            key_name, value_name, collection = self.for_intro()
            value = self.expression()
            condition = self.for_condition()
            result: Node = For(key_name, value_name, collection, None, value, condition, False)
        else:
            items = []
            while not self.peek("]"):
                items.append(self.expression())
                if not self.accept(","):
                    break
            result = TupleCons(items)
        self.leave()
        self.expect("]")
        self.newlines_are_space -= 1
        return self.node(result, start)

    def for_condition(self) -> Node | None:
        self.skip()
        match = _IDENTIFIER.match(self.text, self.pos)
        if match and match.group() == "if":
            self.pos = match.end()
            return self.expression()
        return None

    def object_or_for(self, start: int) -> Node:
        self.pos += 1
        self.newlines_are_space += 1
        self.enter()
        if self.starts_for():
            self.identifier()
            key_name, value_name, collection = self.for_intro()
            key = self.expression()
            self.expect("=>")
            value = self.expression()
            grouping = self.accept("...")
            condition = self.for_condition()
            result: Node = For(key_name, value_name, collection, key, value, condition, grouping)
        else:
            items = []
            while not self.peek("}"):
                key = self.expression()
                if isinstance(key, Variable):  # `name = value`: the key is the name itself
                    key = self.node(Literal(key.name), key.start)
                if not (self.accept("=") or self.accept(":")):
                    self.fail("expected '=' after an object key")
                items.append((key, self.expression()))
                self.accept(",")
            result = ObjectCons(items)
        self.leave()
        self.expect("}")
        self.newlines_are_space -= 1
        return self.node(result, start)

    # -- templates --------------------------------------------------------------------------------

    def quoted_template(self) -> Template:
        start = self.pos
        self.pos += 1
        parts = self.template_parts(end='"', heredoc=False)
        return self.node(Template(parts), start)

    def heredoc(self) -> Node:
        start = self.pos
        match = _HEREDOC.match(self.text, self.pos)
        if not match:
            self.fail("expected an expression")
        indented, marker = match.group(1) == "-", match.group(2)
        closing = re.compile(rf"^[ \t]*{re.escape(marker)}[ \t]*\r?$", re.MULTILINE)
        end = closing.search(self.text, match.end())
        if end is None:
            self.fail(f"heredoc {marker} is not closed")
        content = self.text[match.end():end.start()]
        if indented:
            content = _dedent(content)
        inner = _Parser(Source(content, self.source.name))
        inner.depth = self.depth
        parts = inner.template_parts(end=None, heredoc=True)
        self.pos = end.end()
        node = Template(parts)
        # The parts' spans are in the heredoc's own text; the heredoc's span is in the file.
        return self.node(node, start)

    def template_parts(self, end: str | None, heredoc: bool) -> list:
        """Parts up to `end` (consumed) or the end of the text; `%{ else }` etc. stop at their directive."""
        parts, _ = self._template_sequence(end, heredoc, stops=())
        return _stripped(parts)

    def _template_sequence(self, end: str | None, heredoc: bool, stops: tuple) -> tuple:
        """(parts, the directive keyword that ended them or None)."""
        self.enter()
        parts: list = []
        literal: list = []
        text = self.text
        while True:
            if self.pos >= len(text):
                if end is not None:
                    self.fail("a string is not closed")
                if stops:
                    self.fail(f"expected %{{ {stops[0]} }}")
                break
            run = (_HEREDOC_LITERAL if heredoc else _QUOTED_LITERAL).match(text, self.pos)
            if run:
                literal.append(run.group())
                self.pos = run.end()
                continue
            char = text[self.pos]
            if end is not None and char == end:
                self.pos += 1
                if stops:
                    self.fail(f"expected %{{ {stops[0]} }}")
                break
            if char == "\n" and not heredoc:
                self.fail("a string is not closed on its line")
            if char == "\\" and not heredoc:
                literal.append(self.escape())
                continue
            if text.startswith("$${", self.pos) or text.startswith("%%{", self.pos):
                literal.append(text[self.pos + 1:self.pos + 3])
                self.pos += 3
                continue
            if text.startswith("${", self.pos):
                if literal:
                    parts.append("".join(literal))
                    literal = []
                parts.append(self.interpolation())
                continue
            if text.startswith("%{", self.pos):
                if literal:
                    parts.append("".join(literal))
                    literal = []
                keyword_end = self.directive_keyword_end()
                keyword = keyword_end[0]
                if keyword in stops:
                    self.leave()
                    return parts, keyword_end
                parts.append(self.directive(keyword_end, end, heredoc))
                continue
            literal.append(char)
            self.pos += 1
        if literal:
            parts.append("".join(literal))
        self.leave()
        return parts, None

    def escape(self) -> str:
        nxt = self.text[self.pos + 1:self.pos + 2]
        if nxt in _ESCAPES:
            self.pos += 2
            return _ESCAPES[nxt]
        if nxt in ("u", "U"):
            digits = 4 if nxt == "u" else 8
            code = self.text[self.pos + 2:self.pos + 2 + digits]
            if len(code) == digits and all(c in "0123456789abcdefABCDEF" for c in code):
                self.pos += 2 + digits
                value = int(code, 16)
                return chr(value) if value <= 0x10FFFF else "\ufffd"
        self.fail("invalid escape sequence in a string")
        return ""

    def interpolation(self) -> Interpolation:
        start = self.pos
        self.pos += 2
        strip_before = self.text.startswith("~", self.pos)
        if strip_before:
            self.pos += 1
        self.newlines_are_space += 1
        self.enter()
        expression = self.expression()
        self.leave()
        self.skip()
        strip_after = self.accept("~")
        self.expect("}")
        self.newlines_are_space -= 1
        return self.node(Interpolation(expression, strip_before, strip_after), start)

    def directive_keyword_end(self) -> tuple:
        """At `%{`: (keyword, strip before, start offset); the position is left after the keyword."""
        start = self.pos
        self.pos += 2
        strip_before = self.text.startswith("~", self.pos)
        if strip_before:
            self.pos += 1
        self.newlines_are_space += 1
        keyword = self.identifier()
        return keyword, strip_before, start

    def directive_close(self) -> bool:
        self.skip()
        strip_after = self.accept("~")
        self.expect("}")
        self.newlines_are_space -= 1
        return strip_after

    def directive(self, keyword_end: tuple, end: str | None, heredoc: bool) -> Node:
        """An `if` or `for` directive up to its `endif` / `endfor`. A `~` inside a directive strips the
        whitespace on its side: `%{ for x in xs ~}` the start of the body, `%{~ endfor }` its end."""
        keyword, strip_before, start = keyword_end
        if keyword == "if":
            condition = self.expression()
            strip_start = self.directive_close()
            then, stop = self._template_sequence(end, heredoc, stops=("else", "endif"))
            then = _trimmed(then, strip_start, stop[1])
            otherwise: list = []
            if stop[0] == "else":
                strip_start = self.directive_close()
                otherwise, stop = self._template_sequence(end, heredoc, stops=("endif",))
                otherwise = _trimmed(otherwise, strip_start, stop[1])
            node: Node = TemplateIf(condition, _stripped(then), _stripped(otherwise))
        elif keyword == "for":
            key_name, value_name, collection = self.for_intro_in_directive()
            strip_start = self.directive_close()
            body, stop = self._template_sequence(end, heredoc, stops=("endfor",))
            node = TemplateFor(key_name, value_name, collection, _stripped(_trimmed(body, strip_start, stop[1])))
        else:
            self.fail(f"unknown template directive {keyword!r}")
        strip_after = self.directive_close()
        node = self.node(node, start)
        return _Directive(node, strip_before, strip_after)

    def for_intro_in_directive(self) -> tuple:
        first = self.identifier()
        second = None
        if self.accept(","):
            second = self.identifier()
        if self.identifier() != "in":
            self.fail("expected 'in' in a for directive")
        collection = self.expression()
        return (first, second, collection) if second is not None else (None, first, collection)


class _Directive:
    """A template directive with its strip markers, until _stripped applies them."""

    __slots__ = ("node", "strip_before", "strip_after")

    def __init__(self, node: Node, strip_before: bool, strip_after: bool) -> None:
        self.node, self.strip_before, self.strip_after = node, strip_before, strip_after


def _stripped(parts: list) -> list:
    """Apply `~` strip markers to the literal text around interpolations and directives."""
    result: list = []
    strip_next = False
    for part in parts:
        if isinstance(part, str):
            if strip_next:
                part = part.lstrip()
            result.append(part)
            strip_next = False
            continue
        strip_before = part.strip_before
        if strip_before and result and isinstance(result[-1], str):
            result[-1] = result[-1].rstrip()
        strip_next = part.strip_after
        result.append(part.node if isinstance(part, _Directive) else part)
    return [part for part in result if part != ""]


def _trimmed(parts: list, strip_start: bool, strip_end: bool) -> list:
    """`parts` with the whitespace at its start and end stripped, as the directives' `~` markers ask."""
    parts = list(parts)
    if strip_start and parts and isinstance(parts[0], str):
        parts[0] = parts[0].lstrip()
    if strip_end and parts and isinstance(parts[-1], str):
        parts[-1] = parts[-1].rstrip()
    return parts


def _dedent(content: str) -> str:
    lines = content.split("\n")
    indents = [len(line) - len(line.lstrip(" \t")) for line in lines if line.strip()]
    cut = min(indents) if indents else 0
    return "\n".join(line[cut:] for line in lines)

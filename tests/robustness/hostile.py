"""Hostile and broken input for the robustness tests: generated templates, garbage values, mutations.

Everything is generated at test time (into pytest's tmp_path when it must be a file): nothing large or
hostile is kept in the repository.
"""

from __future__ import annotations

import contextlib
import copy
import json
import re
import signal
from pathlib import Path

from oracle import FIXTURES_DIR, REPO_ROOT, fixture_templates
from policies.cloudformation.loader import load_template_text

# Every garbage value carries this marker, so that a message quoting it can be told apart.
MARKER = "GARBAGE7f3"


@contextlib.contextmanager
def deadline(seconds: float):
    """Interrupts the block after `seconds` (SIGALRM, so even a runaway loop of Python code stops): the
    interrupted test fails instead of hanging the suite. The engine reports the interruption as a problem."""

    def expire(signal_number, frame):
        raise TimeoutError(f"still running after {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def plain(value):
    """A loaded template as plain dicts and lists (no line marks), as JSON would give it."""
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [plain(item) for item in value]
    return value


def fixture_document(fixture: str) -> dict:
    """A fixture (path relative to fixtures/cloudformation), loaded by the engine's loader."""
    document, _, problem = load_template_text((FIXTURES_DIR / fixture).read_bytes(), fixture)
    assert problem is None, problem
    return plain(document)


def fixture_documents() -> dict:
    return {fixture: fixture_document(fixture) for fixture in fixture_templates()}


def set_at(document: dict, path: tuple, value) -> dict:
    """A copy of `document` with the value at `path` replaced."""
    changed = copy.deepcopy(document)
    node = changed
    for step in path[:-1]:
        node = node[step]
    node[path[-1]] = value
    return changed


# Values of the wrong type or out of range, as they appear where a port, a name, a list or a mapping
# belongs; and malformed intrinsic functions. None of them can be read as a valid value anywhere.
GARBAGE = (
    f"eighty-{MARKER}",
    [f"{MARKER}", 8080],
    {f"{MARKER}": 1},
    {"Fn::If": [f"{MARKER}", 80]},  # two arguments
    {"Fn::GetAtt": [f"{MARKER}Missing", "GroupId"]},
    {"Ref": f"{MARKER}Missing"},
    {"Fn::Sub": f"${{{MARKER}Undefined}}"},
    {"Fn::Select": [9, [f"{MARKER}"]]},
    {"Fn::Join": [f"{MARKER}", "not a list"]},
    {"Fn::FindInMap": [f"{MARKER}", "x", "y"]},
    {"Fn::Cidr": [f"{MARKER}", 3, 8]},
    {f"Fn::{MARKER}": 1},
    {"Fn::If": [f"{MARKER}Undefined", 80, 443]},  # a condition the template does not define
)


def garbage_for(original) -> list:
    """GARBAGE that can stand where `original` is. A mapping with other keys in place of a mapping is no
    garbage: it deletes the properties that were there, and their defaults may rightly prove a hop."""
    return [value for value in GARBAGE if not (isinstance(original, dict) and value == {MARKER: 1})]


# -- generated templates ------------------------------------------------------------------------


def many_stacks(copies: int, fixture: str = "good/plain-http.yaml") -> dict:
    """`copies` renamed copies of a fixture's resources in one template (each copy wired to itself)."""
    document = fixture_document(fixture)
    ids = "|".join(sorted(document["Resources"], key=len, reverse=True))
    # References: "Id" as a value (not a key: a property may be named like a resource), ${Id}, ${Id.Att}.
    named, substituted = re.compile(f'"({ids})"(?!:)'), re.compile(rf"\$\{{({ids})([.}}])")
    text = json.dumps(document["Resources"])
    resources = {}
    for copy_number in range(copies):
        renamed = substituted.sub(rf"${{\1C{copy_number}\2", named.sub(rf'"\1C{copy_number}"', text))
        resources.update({f"{rid}C{copy_number}": body for rid, body in json.loads(renamed).items()})
    return {**{k: v for k, v in document.items() if k not in ("Resources", "Outputs")}, "Resources": resources}


def template_of_500_resources(broken_copies: int = 1) -> dict:
    """45 copies of plain-http (11 resources each) and 5 log groups; the first copies' task SG
    admits the wrong port, so that there is something to find."""
    document = many_stacks(45)
    for index in range(5):
        document["Resources"][f"Padding{index}"] = {"Type": "AWS::Logs::LogGroup"}
    for broken in range(broken_copies):
        document["Resources"][f"AppIngressFromAlbC{broken}"]["Properties"]["FromPort"] = 80
        document["Resources"][f"AppIngressFromAlbC{broken}"]["Properties"]["ToPort"] = 80
    assert len(document["Resources"]) == 500
    return document


def terraform_of_5000_resources(directory: Path) -> None:
    """A Terraform configuration of 5,000 resources: 555 renamed copies of the plain-http fixture's nine,
    and five log groups, in `directory`: main.tf, and one file per 50 copies. checkov gives up parsing a
    file after 10 s (HCL_PARSE_TIMEOUT_SEC): files of a few hundred resources stay far from that on a busy
    machine, as real configurations do."""
    source = (REPO_ROOT / "fixtures" / "terraform" / "good" / "plain-http" / "main.tf").read_text()
    blocks = re.split(r"\n(?=(?:resource|variable|output|locals) )", source)
    names = re.findall(r'^resource "(\w+)" "(\w+)"', source, re.MULTILINE)
    reference = re.compile(r'\b(%s)\.(%s)\b' % ("|".join(t for t, _ in names), "|".join(n for _, n in names)))
    declaration = re.compile(r'^resource "(\w+)" "(\w+)"', re.MULTILINE)
    resources = [block for block in blocks if block.startswith("resource")]
    copies_per_file = 50
    for first in range(0, 555, copies_per_file):
        text = []
        for copy_number in range(first, min(first + copies_per_file, 555)):
            for block in resources:
                block = declaration.sub(rf'resource "\1" "\2_{copy_number}"', block)
                text.append(reference.sub(rf"\1.\2_{copy_number}", block))
        (directory / f"copies_{first:03}.tf").write_text("\n".join(text))
    main = [block for block in blocks if block.startswith("variable")]
    main += [f'resource "aws_cloudwatch_log_group" "padding_{index}" {{\n  name = "padding-{index}"\n}}\n'
             for index in range(5)]
    assert len(names) * 555 + 5 == 5000
    (directory / "main.tf").write_text("\n".join(main))


def alias_bomb(levels: int, per_level: int) -> bytes:
    """A "billion laughs" template: `per_level ** levels` values from a few hundred bytes."""
    lines = ["Mappings:", "  Laughs:", "    l0: &l0 [lol, lol]"]
    for level in range(1, levels):
        aliases = ", ".join([f"*l{level - 1}"] * per_level)
        lines.append(f"    l{level}: &l{level} [{aliases}]")
    lines += ["Resources:", "  Sg:", "    Type: AWS::EC2::SecurityGroup", "    Properties:",
              "      GroupDescription: laughs", f"      SecurityGroupIngress: *l{levels - 1}"]
    return "\n".join(lines).encode()


def nested_list(depth: int, leaf="x") -> list:
    """[[[...leaf...]]], `depth` lists deep, built without recursion."""
    value = leaf
    for _ in range(depth):
        value = [value]
    return value


def write_json(directory: Path, name: str, document) -> Path:
    path = directory / name
    path.write_text(json.dumps(document, indent=1))
    return path


def terraform_hostile_roots(directory: Path) -> None:
    """Root modules of plain-http (app SG ingress tcp/8080 from the ALB SG, a standalone rule) whose hostile
    parts make hoplint evaluate the configuration itself, in `directory`:

    - for-each-100000/: the app SG's ingress rule is created for_each over 100,000 ports;
    - self-referencing-locals/: its ports come from a local that refers to itself;
    - nested-150/: calls a local module holding a value nested 150 levels deep, which checkov parses and
      hoplint refuses to read.
    """
    source = (REPO_ROOT / "fixtures" / "terraform" / "good" / "plain-http" / "main.tf").read_text()
    rule = 'resource "aws_vpc_security_group_ingress_rule" "app_from_alb" {\n'
    ports = "  from_port                    = 8080\n  to_port                      = 8080\n"
    assert source.count(rule) == 1 and source.count(ports) == 1
    variants = {
        "for-each-100000": source.replace(
            rule, rule + "  for_each = { for port in range(100000) : tostring(port) => port }\n").replace(
            ports, ports.replace("8080", "each.value")),
        "self-referencing-locals": source.replace(ports, ports.replace("8080", "local.port"))
        + "\nlocals {\n  port = local.port + 0\n}\n",
        "nested-150": source + '\nmodule "deep" {\n  source = "./deep"\n}\n',
    }
    for name, text in variants.items():
        (directory / name).mkdir()
        (directory / name / "main.tf").write_text(text)
    (directory / "nested-150" / "deep").mkdir()
    (directory / "nested-150" / "deep" / "main.tf").write_text(
        'output "deep" {\n  value = ' + "{ a = " * 150 + "1" + " }" * 150 + "\n}\n")

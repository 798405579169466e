"""checkov's parse of a template, handed to the engine (policies.cloudformation.parsed_templates), is judged as the
file the engine reads itself: the same findings on the same lines, for every fixture template and application.
What checkov hands over passes the loader's guards: too deep, too large or circular is a problem, never a crash.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from checkov.cloudformation.parser import parse
from checkov.common.parsers.node import DictNode, ListNode, StrNode
from yaml.error import Mark

from oracle import APPLICATIONS, APPLICATIONS_DIR, FIXTURES_DIR, fixture_templates, templates_of
from policies.analysis import analyze_paths, analyze_scan
from policies.cloudformation.loader import read_template_file
from policies.cloudformation.parsed_templates import parsed_template
from policies.document_limits import MAX_NESTING, MAX_VALUES

def findings(analysis) -> list:
    return sorted((f.rule_id, f.verdict.value, f.resource, f.file, f.path, f.line, f.message, f.conditions)
                  for f in analysis.findings)


def checkov_parse(path: Path) -> dict:
    template, _ = parse(str(path))
    assert isinstance(template, dict), f"checkov cannot parse {path}"
    return template


@pytest.mark.parametrize("name", fixture_templates())
def test_a_fixture_parsed_by_checkov_is_judged_as_the_file(name: str) -> None:
    path = str(FIXTURES_DIR / name)
    converted = parsed_template(path, checkov_parse(FIXTURES_DIR / name))
    assert converted.problem is None
    assert converted.template == read_template_file(path).template
    assert findings(analyze_scan([converted]).of(path)) == findings(analyze_scan([read_template_file(path)]).of(path))


@pytest.mark.parametrize("application", APPLICATIONS)
def test_an_application_parsed_by_checkov_is_judged_as_its_files(application: str, monkeypatch) -> None:
    monkeypatch.chdir(APPLICATIONS_DIR / application)  # the deployment description at the root of the scan
    paths = templates_of(application)
    parsed = {str(Path(path).resolve()): parsed_template(path, checkov_parse(Path(path))) for path in paths}
    taken, read = analyze_paths(paths, parsed=parsed), analyze_paths(paths)
    assert len(taken.analyses) == len(read.analyses) == 1
    assert findings(taken.analyses[0]) == findings(read.analyses[0])
    assert {finding.verdict.value for finding in read.analyses[0].findings} >= {"PASSED"}


def test_checkov_line_entries_and_split_attribute_names_are_undone() -> None:
    mark = Mark("t.yaml", 0, 4, 0, None, None)
    resource = DictNode({StrNode("Type", mark, mark): "AWS::ECS::Service", "__file__": "t.yaml", "__startline__": 5,
                         "__endline__": 9}, mark, mark)
    url = DictNode({"Fn::GetAtt": ListNode(["Network", "Outputs", "Url"], mark, mark)}, mark, mark)
    converted = parsed_template("t.yaml", {"Resources": {"Api": resource}, "Outputs": {"Url": {"Value": url}}})
    assert converted.template == {"Resources": {"Api": {"Type": "AWS::ECS::Service"}},
                                  "Outputs": {"Url": {"Value": {"Fn::GetAtt": ["Network", "Outputs.Url"]}}}}
    assert type(next(iter(converted.template["Resources"]["Api"]))) is str
    assert converted.line_of(("Resources", "Api", "Type")) == 5


def nested(levels: int) -> dict:
    document: dict = {"Leaf": 1}
    for _ in range(levels - 1):
        document = {"Inner": document}
    return document


def test_what_checkov_hands_over_passes_the_loaders_guards() -> None:
    cyclic: dict = {"Resources": {}}
    cyclic["Resources"]["Self"] = cyclic
    shared = list(range(1000))
    hostile = {
        "circular": (cyclic, "contains it"),
        "too deep": ({"Resources": nested(MAX_NESTING + 5)}, f"nests more than {MAX_NESTING} levels"),
        "too many values": ({"Resources": {"R": list(range(MAX_VALUES))}}, f"more than {MAX_VALUES} values"),
        "no template": (["a", "list"], "not a CloudFormation template"),
    }
    for name, (document, expected) in hostile.items():
        converted = parsed_template("t.yaml", document)
        assert converted.template is None and expected in converted.problem, name
    # A list reached 300 times stays one object: small to convert, refused by the engine once expanded.
    aliased = parsed_template("t.yaml", {"Resources": {f"R{i}": {"Properties": shared} for i in range(300)}})
    assert aliased.problem is None
    assert "more than 250000 values" in " ".join(analyze_scan([aliased]).of("t.yaml").problems)

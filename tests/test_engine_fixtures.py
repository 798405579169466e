"""The engine alone, on every fixture, against the oracle in fixtures/cloudformation/expected.json; and on
variants of fixtures, for what only a change to one shows."""

from __future__ import annotations

import pytest

from oracle import FIXTURES_DIR, fixture_templates, load_expected, proves_the_main_path
from policies import RULES, Verdict, analyze_document, analyze_file
from policies.cloudformation.loader import load_template_text

EXPECTED = load_expected()


def test_oracle_names_every_fixture_and_nothing_else():
    assert sorted(EXPECTED) == fixture_templates()


def test_every_rule_has_a_bad_fixture_named_after_it():
    bad = [name for name in EXPECTED if name.startswith("bad/")]
    for rule_id in RULES:
        assert any(name.startswith(f"bad/{rule_id}-") for name in bad), rule_id


@pytest.mark.parametrize("fixture", fixture_templates())
def test_failed_and_unknown_findings_are_exactly_the_expected_ones(fixture):
    analysis = analyze_file(str(FIXTURES_DIR / fixture))
    assert analysis.problems == []
    actual = sorted(
        (f.rule_id, f.verdict.value, f.resource, f.line)
        for f in analysis.findings
        if f.verdict is not Verdict.PASSED
    )
    expected = sorted((e["rule"], e["verdict"], e["resource"], e["line"]) for e in EXPECTED[fixture])
    assert actual == expected, "\n".join(f"{f.verdict.value} {f.rule_id} {f.resource}: {f.message}"
                                         for f in analysis.findings if f.verdict is not Verdict.PASSED)


@pytest.mark.parametrize("fixture", [name for name in fixture_templates() if name.startswith("bad/")])
def test_a_bad_fixture_breaks_the_rule_its_name_says(fixture):
    rule_id = fixture.split("/")[1].split("-")[0]
    failed = {f.rule_id for f in analyze_file(str(FIXTURES_DIR / fixture)).findings if f.verdict is Verdict.FAILED}
    assert failed == {rule_id}


@pytest.mark.parametrize("fixture", [name for name in fixture_templates() if name.startswith("good/")])
def test_a_good_fixture_proves_every_hop_of_the_main_path(fixture):
    passed = {f.rule_id for f in analyze_file(str(FIXTURES_DIR / fixture)).findings if f.verdict is Verdict.PASSED}
    assert proves_the_main_path(passed), sorted(passed)


def test_a_template_is_analysed_once_however_many_rules_ask(tmp_path):
    import policies.cache as cache

    template = tmp_path / "t.yaml"
    template.write_bytes((FIXTURES_DIR / "good" / "plain-http.yaml").read_bytes())
    before = cache.BUILD_COUNT
    first = analyze_file(str(template))
    for _ in RULES:
        assert analyze_file(str(template)) is first
    assert cache.BUILD_COUNT == before + 1
    template.write_text(template.read_text() + "\n# edited\n")
    assert analyze_file(str(template)) is not first
    assert cache.BUILD_COUNT == before + 2


def fixture_document(fixture: str) -> dict:
    """A fixture, loaded to be changed and analysed as a document."""
    document, _, problem = load_template_text((FIXTURES_DIR / fixture).read_bytes(), fixture)
    assert problem is None, problem
    return document


def bridge_stack_whose_auto_scaling_group_names(launch_template: dict | None) -> dict:
    """good/ec2-bridge-dynamic-host-ports.yaml with its Auto Scaling group's LaunchTemplate replaced (removed
    when None), and its launch template named web-ecs."""
    document = fixture_document("good/ec2-bridge-dynamic-host-ports.yaml")
    resources = document["Resources"]
    resources["LaunchTemplate"]["Properties"]["LaunchTemplateName"] = "web-ecs"
    del resources["AutoScalingGroup"]["Properties"]["LaunchTemplate"]
    if launch_template is not None:
        resources["AutoScalingGroup"]["Properties"]["LaunchTemplate"] = launch_template
    return document


def test_the_launch_template_is_found_by_its_name():
    document = bridge_stack_whose_auto_scaling_group_names({"LaunchTemplateName": "web-ecs", "Version": "1"})
    assert analyze_document(document, "by name").verdict("HOP503", "AppService")[0] is Verdict.PASSED


def test_an_auto_scaling_group_naming_no_launch_template_or_configuration_is_unknown():
    verdict, findings = analyze_document(bridge_stack_whose_auto_scaling_group_names(None), "none").verdict(
        "HOP503", "AppService")
    assert verdict is Verdict.UNKNOWN
    assert findings[0].message.endswith("Auto Scaling group AutoScalingGroup names no launch template or configuration")


@pytest.mark.parametrize("fixture, alternate_named_at", [
    ("good/blue-green-ecs-native.yaml", ("AppService", "Properties", "LoadBalancers", 0, "AdvancedConfiguration",
                                         "AlternateTargetGroupArn")),
    ("good/blue-green-codedeploy.yaml", ("DeploymentGroup", "Properties", "LoadBalancerInfo",
                                         "TargetGroupPairInfoList", 0, "TargetGroups", 1, "Name")),
])
def test_a_blue_green_alternate_hop_points_at_where_the_alternate_target_group_is_named(fixture, alternate_named_at):
    findings = analyze_file(str(FIXTURES_DIR / fixture)).for_resource("HOP202", "AppService")
    assert {f.hop: f.path for f in findings} == {
        "LoadBalancers[0]": ("Resources", "AppService", "Properties", "LoadBalancers", 0, "TargetGroupArn"),
        "LoadBalancers[0] alternate": ("Resources",) + alternate_named_at,
    }


def test_an_alternate_target_group_outside_the_template_is_unknown_on_its_primary():
    document = fixture_document("good/blue-green-codedeploy.yaml")
    pair = document["Resources"]["DeploymentGroup"]["Properties"]["LoadBalancerInfo"]["TargetGroupPairInfoList"][0]
    pair["TargetGroups"][1]["Name"] = "legacy-green"
    verdict, findings = analyze_document(document, "outside").verdict("HOP401", "BlueTargetGroup")
    assert verdict is Verdict.UNKNOWN
    assert findings[0].path[-3:] == ("TargetGroups", 1, "Name") and "legacy-green" in findings[0].message

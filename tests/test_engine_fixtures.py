"""The engine alone, on every fixture, against the oracle in fixtures/cloudformation/expected.json."""

from __future__ import annotations

import pytest

from oracle import FIXTURES_DIR, fixture_templates, load_expected, proves_the_main_path
from policies import RULES, Verdict, analyze_file

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
    import policies.analysis as analysis_module

    template = tmp_path / "t.yaml"
    template.write_bytes((FIXTURES_DIR / "good" / "plain-http.yaml").read_bytes())
    before = analysis_module.BUILD_COUNT
    first = analyze_file(str(template))
    for _ in RULES:
        assert analyze_file(str(template)) is first
    assert analysis_module.BUILD_COUNT == before + 1
    template.write_text(template.read_text() + "\n# edited\n")
    assert analyze_file(str(template)) is not first
    assert analysis_module.BUILD_COUNT == before + 2

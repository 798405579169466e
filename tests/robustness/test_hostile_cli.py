"""checkov and cfn-lint with the pack, on a directory of broken and hostile templates next to a bad fixture,
and checkov on a 5,000-resource Terraform configuration: one run of each tool.

The host tool never breaks down and keeps checking the other files: the bad fixture's findings are all
there. What the pack could not read it says (a checkov warning, a cfn-lint I9000), and it never reports
PASSED for a hop it did not prove. Each run finishes in bounded time (generous bounds: no benchmark).
"""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import time
from collections import Counter
from pathlib import Path

import pytest
import yaml

import hostile
from checkov_runs import CHECKOV, CHECKS_DIR
from oracle import FIXTURES_DIR, REPO_ROOT
from policies import RULES, Verdict, analyze_file
from terraform_fixtures import vendored_fixtures
from policies.findings import fix_resource
from test_cfn_lint_cli import ADAPTER_DIR, hoplint_matches, run_cfn_lint

CHECK_OF_RULE = {rule.id: rule.checkov_id for rule in RULES.values()}
BAD_FIXTURE = "bad/HOP303-task-sg-allows-wrong-port.yaml"  # HOP303 FAILED on AppService, fixed in AppSg line 46
MUTANTS = 5


def plain_http_with(*replacements: tuple) -> bytes:
    """plain-http's text with each (old, new) replaced once: lines stay where they were."""
    text = (FIXTURES_DIR / "good" / "plain-http.yaml").read_text()
    for old, new in replacements:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    return text.encode()


WRONG_TYPES = plain_http_with(
    ("      Port: 80\n", "      Port: eighty\n"),  # of HttpListener
    ("      ToPort: 8080\n      Source", "      ToPort: 70000\n      Source"),  # of AppIngressFromAlb
)
WRONG_TYPE_LINES = {
    (rule, resource): WRONG_TYPES.decode().splitlines().index(line) + 1
    for rule, resource, line in (("HOP101", "HttpListener", "      Port: eighty"),
                                 ("HOP303", "AppService", "      ToPort: 70000"))
}

# Files each tool refuses or the pack cannot judge; both tools must survive them and go on.
BROKEN = {
    "empty.yaml": b"",
    "unclosed.yaml": b"Resources: [unclosed\n",
    "duplicate-logical-id.yaml": b"Resources:\n  Sg:\n    Type: AWS::EC2::SecurityGroup\n"
                                 b"  Sg:\n    Type: AWS::EC2::VPC\n",
    "python-tag.yaml": b"Resources: !!python/object/apply:os.system ['touch pwned']\n",
    "nested-1000.yaml": ("Resources:\n  Sg:\n    Type: AWS::EC2::SecurityGroup\n    Properties:\n      Tags: "
                         + "[" * 1000 + "]" * 1000 + "\n").encode(),
}
# Files that break checkov itself, with or without the pack: it expands YAML aliases (and never returns
# on a bomb), and recurses without end on circular Conditions. cfn-lint gets them too.
BREAK_CHECKOV = {
    "alias-bomb.yaml": hostile.alias_bomb(30, 9),
    "circular-conditions.yaml": b"Conditions:\n  A: !Condition B\n  B: !Not [!Condition A]\n"
                                b"Resources:\n  Sg:\n    Type: AWS::EC2::SecurityGroup\n    Condition: A\n"
                                b"    Properties:\n      GroupDescription: circular\n",
}


def mutants(count: int) -> dict:
    """File name -> a fixture with two values replaced by garbage, the same on every run."""
    chosen = random.Random(4)
    documents = hostile.fixture_documents()
    found = {}
    for number in range(count):
        fixture = chosen.choice(sorted(documents))
        document = documents[fixture]
        resources = [(resource_id, name) for resource_id, resource in document["Resources"].items()
                     for name in resource.get("Properties", {})]
        for _ in range(2):
            resource_id, name = chosen.choice(resources)
            garbage = chosen.choice(hostile.garbage_for(document["Resources"][resource_id]["Properties"][name]))
            document = hostile.set_at(document, ("Resources", resource_id, "Properties", name), garbage)
        found[f"mutant-{number}.json"] = document
    return found


@pytest.fixture(scope="module")
def hostile_dir(tmp_path_factory) -> Path:
    directory = tmp_path_factory.mktemp("hostile")
    (directory / "bad-fixture.yaml").write_bytes((FIXTURES_DIR / BAD_FIXTURE).read_bytes())
    (directory / "wrong-types.yaml").write_bytes(WRONG_TYPES)
    (directory / "stacks-500.yaml").write_text(yaml.safe_dump(hostile.template_of_500_resources()))
    for name, text in BROKEN.items():
        (directory / name).write_bytes(text)
    for name, document in mutants(MUTANTS).items():
        hostile.write_json(directory, name, document)
    return directory


def engine_keys(path: Path, verdict: Verdict) -> set:
    """(rule, logical id) the engine gives `verdict` (the worst of the resource's findings) in a file; for
    FAILED, the resource a fix of each failed finding edits, where checkov reports it."""
    analysis = analyze_file(str(path))
    if analysis.problems:
        return set()
    if verdict is Verdict.FAILED:
        return {(finding.rule_id, fix_resource(finding)[1]) for finding in analysis.findings
                if finding.verdict is Verdict.FAILED}
    pairs = {(finding.rule_id, finding.resource) for finding in analysis.findings}
    return {pair for pair in pairs if analysis.verdict(*pair)[0] is verdict}


# -- checkov --------------------------------------------------------------------------------------

def checkov(directory: Path, framework: str, output: Path) -> tuple:
    """(process, CKV_HOP_ records, seconds) of one checkov run with the pack over `directory`."""
    env = dict(os.environ, CKV_SKIP_PACKAGE_UPDATE_CHECK="true", BC_SKIP_MAPPING="TRUE",
               PYTHONPATH=os.pathsep.join(filter(None, (str(REPO_ROOT), os.environ.get("PYTHONPATH")))))
    command = [str(CHECKOV), "--skip-download", "--external-checks-dir", str(CHECKS_DIR), "--framework", framework,
               "--check", "CKV_HOP_*", "-d", str(directory), "-o", "json", "--output-file-path", str(output)]
    started = time.monotonic()
    process = subprocess.run(command, cwd=directory, env=env, capture_output=True, text=True, timeout=600,
                             check=False)
    seconds = time.monotonic() - started
    assert process.returncode in (0, 1), process.stderr  # 1: something failed; anything else: checkov broke
    assert "Traceback" not in process.stderr, process.stderr
    reports = json.loads((output / "results_json.json").read_text())
    reports = reports if isinstance(reports, list) else [reports]
    records = [dict(record, status=record["check_result"]["result"])
               for report in reports for section in ("failed_checks", "passed_checks")
               for record in report["results"][section]]
    return process, records, seconds


@pytest.fixture(scope="module")
def checkov_run(hostile_dir, tmp_path_factory) -> tuple:
    return checkov(hostile_dir, "cloudformation", tmp_path_factory.mktemp("checkov"))


def records_of(records: list, file: str, status: str) -> set:
    """(rule, logical id) of the records of one file with one status."""
    rule_of_check = {check: rule for rule, check in CHECK_OF_RULE.items()}
    return {(rule_of_check[r["check_id"]], r["resource"].rsplit(".", 1)[-1])
            for r in records if r["file_path"].lstrip("/") == file and r["status"] == status}


def test_checkov_finishes_in_bounded_time_and_keeps_checking_the_other_files(checkov_run):
    _, records, seconds = checkov_run
    assert seconds < 180
    # On the resource to fix: the task security group's ingress.
    assert records_of(records, "bad-fixture.yaml", "FAILED") == {("HOP303", "AppSg")}
    assert records_of(records, "stacks-500.yaml", "FAILED") == {("HOP303", "AppIngressFromAlbC0")}
    assert len(records_of(records, "stacks-500.yaml", "PASSED")) > 45 * 10


def test_checkov_records_only_what_the_engine_proved_or_refuted(checkov_run, hostile_dir):
    _, records, _ = checkov_run
    for path in sorted(hostile_dir.iterdir()):
        for status, verdict in (("PASSED", Verdict.PASSED), ("FAILED", Verdict.FAILED)):
            assert records_of(records, path.name, status) <= engine_keys(path, verdict), (path.name, status)


def test_checkov_gets_unknown_and_a_warning_for_each_value_the_pack_cannot_read(checkov_run):
    process, records, _ = checkov_run
    reported = records_of(records, "wrong-types.yaml", "PASSED") | records_of(records, "wrong-types.yaml", "FAILED")
    assert not reported & set(WRONG_TYPE_LINES)
    assert ("HOP201", "HttpListener") in reported  # the listener's other rules are still judged
    for (rule, resource), where in (
        (("HOP101", "HttpListener"), "Resources/HttpListener/Properties/Port: port 'eighty' is not a number"),
        (("HOP303", "AppService"), "Resources/AppIngressFromAlb/Properties/ToPort: port 70000 is outside 0-65535"),
    ):
        warning = f"wrong-types.yaml: {CHECK_OF_RULE[rule]} not judged on {resource}: cannot read {where}"
        assert warning in process.stderr


# -- cfn-lint -------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def cfn_lint_run(hostile_dir, tmp_path_factory) -> tuple:
    directory = tmp_path_factory.mktemp("cfn-lint")
    for path in hostile_dir.iterdir():
        (directory / path.name).write_bytes(path.read_bytes())
    for name, text in BREAK_CHECKOV.items():
        (directory / name).write_bytes(text)
    templates = sorted(path.name for path in directory.iterdir())
    started = time.monotonic()
    result = run_cfn_lint("--append-rules", str(ADAPTER_DIR), "--include-checks", "I9000", "--format", "json",
                          "--", *templates, cwd=directory, home=directory)
    seconds = time.monotonic() - started
    matches = {name: [] for name in templates}
    for match in hoplint_matches(result.stdout):  # fails on a hoplint rule crash (E0002)
        matches[match["Filename"]].append(match)
    return matches, seconds


def located(matches: list) -> Counter:
    return Counter((m["Rule"]["Id"], m["Location"]["Start"]["LineNumber"]) for m in matches)


def test_cfn_lint_finishes_in_bounded_time_and_keeps_checking_the_other_files(cfn_lint_run):
    matches, seconds = cfn_lint_run
    assert seconds < 180
    assert located(matches["bad-fixture.yaml"]) == {("E9303", 46): 1}
    assert [m["Rule"]["Id"] for m in matches["stacks-500.yaml"]] == ["E9303"]


def test_cfn_lint_reports_exactly_what_the_engine_refuted_or_could_not_read_in_each_file(cfn_lint_run, hostile_dir):
    matches, _ = cfn_lint_run
    for path in sorted(hostile_dir.iterdir()):
        analysis = analyze_file(str(path))
        refuted = Counter((RULES[f.rule_id].cfn_lint_id, f.line) for f in analysis.findings
                          if f.verdict is Verdict.FAILED)
        assert located([m for m in matches[path.name] if m["Rule"]["Id"] != "I9000"]) == refuted, path.name
        if not analysis.problems:
            unread = {(f.rule_id, f.resource) for f in analysis.findings if f.unreadable}
            assert len([m for m in matches[path.name] if m["Rule"]["Id"] == "I9000"]) == len(unread), path.name


def test_cfn_lint_gets_one_informational_match_per_rule_and_resource_at_the_value_it_cannot_read(cfn_lint_run):
    matches, _ = cfn_lint_run
    found = matches["wrong-types.yaml"]
    assert located(found) == {("I9000", line): 1 for line in WRONG_TYPE_LINES.values()}
    assert all(m["Level"] == "Informational" for m in found)
    messages = sorted(m["Message"] for m in found)
    assert messages == [
        "hoplint could not judge E9101 (HOP101) on HttpListener: Resources/HttpListener/Properties/Port: "
        "port 'eighty' is not a number",
        "hoplint could not judge E9303 (HOP303) on AppService: Resources/AppIngressFromAlb/Properties/ToPort: "
        "port 70000 is outside 0-65535",
    ]


def test_cfn_lint_says_once_why_a_template_could_not_be_analysed(cfn_lint_run):
    matches, _ = cfn_lint_run
    [circular] = matches["circular-conditions.yaml"]
    assert (circular["Rule"]["Id"], circular["Location"]["Start"]["LineNumber"]) == ("I9000", 1)
    assert "conditions ['A', 'B'] refer to themselves through Condition" in circular["Message"]
    [empty] = matches["empty.yaml"]  # cfn-lint reads an empty file as an empty template
    assert empty["Message"].endswith("empty.yaml: not a CloudFormation template (no Resources mapping)")
    # What cfn-lint cannot parse never reaches the pack: cfn-lint reports it (E0000) itself.
    unparsed = ("unclosed.yaml", "duplicate-logical-id.yaml", "python-tag.yaml", "nested-1000.yaml", "alias-bomb.yaml")
    for name in unparsed:
        assert matches[name] == [], name


# -- Terraform ------------------------------------------------------------------------------------

def test_checkov_with_the_pack_judges_5000_terraform_resources_in_bounded_time(tmp_path):
    configuration = tmp_path / "infra"
    configuration.mkdir()
    hostile.terraform_of_5000_resources(configuration)
    output = tmp_path / "out"
    output.mkdir()
    _, records, seconds = checkov(configuration, "terraform", output)
    assert seconds < 240
    assert {r["status"] for r in records} == {"PASSED"}  # 555 copies of a good configuration
    assert len({r["resource"] for r in records}) == 555 * 4  # per copy: listener, target group, task, service


def test_checkov_with_the_pack_on_hostile_terraform_proves_nothing_it_did_not_evaluate(tmp_path):
    """Root modules hoplint evaluates itself (hostile.terraform_hostile_roots: a for_each over 100,000 keys,
    self-referencing locals, a value nested 150 levels deep) next to a bad module fixture: bounded, no
    crash, no PASSED for the gates the hostile parts decide, the bad fixture still FAILED."""
    hostile.terraform_hostile_roots(tmp_path)
    vendored = vendored_fixtures(tmp_path / "fixtures")
    keep = vendored / "bad" / "HOP303-ecs-module-ingress-rule-wrong-port"
    shutil.move(keep, tmp_path / "bad-module")
    shutil.rmtree(vendored)
    output = tmp_path / "out"
    output.mkdir()
    process, records, seconds = checkov(tmp_path, "terraform", output)
    assert seconds < 240
    judged = {(Path(r["file_abs_path"]).relative_to(tmp_path).parts[0], r["check_id"], r["resource"]): r["status"]
              for r in records}
    for root in ("for-each-100000", "self-referencing-locals"):
        assert (root, "CKV_HOP_303", "aws_ecs_service.app") not in judged  # UNKNOWN: no record
        assert judged[root, "CKV_HOP_101", "aws_lb_listener.http"] == "PASSED"  # the rest is still judged
    assert not [key for key in judged if key[0] == "nested-150"]
    assert f"hoplint: cannot judge {tmp_path / 'nested-150'}: " in process.stderr
    assert "nested deeper than 100 levels" in process.stderr
    failed = [resource for (root, check_id, resource), status in judged.items()
              if (root, check_id, status) == ("bad-module", "CKV_HOP_303", "FAILED")]
    assert failed and all("aws_vpc_security_group_ingress_rule" in resource for resource in failed)  # the fix

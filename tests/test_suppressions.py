"""policies.suppressions and policies.findings.fix_resource: what the three front-ends share about where a
finding is fixed and which skip accepts it. The front-ends themselves are tested through their CLIs
(test_checkov_cli.py, test_checkov_terraform_cli.py, test_cfn_lint_cli.py, test_explain.py)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from oracle import FIXTURES_DIR
from policies import Finding, Verdict, analyze_file
from policies.cloudformation.loader import load_template_text
from policies.findings import fix_resource
from policies.suppressions import (
    CFN_LINT,
    CHECKOV,
    TEMPLATE_WIDE,
    Suppression,
    cloudformation_suppressions,
    document_suppressions,
    terraform_suppressions,
)

HOP303_FINDING = Finding("HOP303", Verdict.FAILED, "AppService", "AWS::ECS::Service", "service AppService: ...",
                         ("Resources", "AppIngressFromAlb", "Properties", "FromPort"))


def test_the_resource_a_fix_edits_is_where_the_path_leads():
    assert fix_resource(HOP303_FINDING) == (None, "AppIngressFromAlb")
    terraform = Finding("HOP303", Verdict.FAILED, "aws_ecs_service.app", "aws_ecs_service", "...",
                        ("module.app.aws_security_group.task", "ingress", 0, "from_port"))
    assert fix_resource(terraform) == (None, "module.app.aws_security_group.task")
    assert fix_resource(replace(HOP303_FINDING, path=())) == (None, "AppService")
    # A finding of a multi-stack application whose fix lies in another template says which.
    assert fix_resource(replace(HOP303_FINDING, file="network.yaml")) == ("network.yaml", "AppIngressFromAlb")


def test_every_engine_failure_on_the_fixtures_is_fixed_in_a_resource_of_its_template():
    fixture = FIXTURES_DIR / "bad" / "HOP303-standalone-ingress-wrong-port.yaml"
    analysis = analyze_file(str(fixture))
    resources = analysis.deployments[0].topology.resource_types
    (failed,) = [f for f in analysis.findings if f.verdict is Verdict.FAILED]
    assert fix_resource(failed) == (str(fixture), "AppIngressFromAlb") and resources["AppIngressFromAlb"] == (
        "AWS::EC2::SecurityGroupIngress")


def suppressions_of(text: str):
    document, _, problem = load_template_text(text.encode(), "t.yaml")
    assert problem is None
    return document_suppressions(document, text)


TEMPLATE = """\
Metadata:
  cfn-lint:
    config:
      ignore_checks: [W93]
Resources:
  AppIngressFromAlb:
    Type: AWS::EC2::SecurityGroupIngress
    # checkov:skip=CKV_HOP_303:tasks reached through a VPC endpoint
    Properties:
      FromPort: 80
  AppService:
    Type: AWS::ECS::Service
    Metadata:
      checkov:
        skip:
          - id: CKV_HOP_304
            comment: health checks go elsewhere
          - comment: an entry without id is none
      bridgecrew:
        skip:
          - id: CKV_HOP_305
      cfn-lint:
        config:
          ignore_checks: E9303
Outputs:
  Note:
    # checkov:skip=CKV_HOP_101:outside any resource
    Value: x
"""


def test_each_syntax_is_read_on_the_resource_it_is_written_on():
    suppressions = suppressions_of(TEMPLATE)
    on_service = replace(HOP303_FINDING, path=())
    assert suppressions.covering(HOP303_FINDING, (CHECKOV,)) == Suppression(
        CHECKOV, "CKV_HOP_303", "AppIngressFromAlb", "tasks reached through a VPC endpoint")
    assert suppressions.covering(on_service, (CFN_LINT,)) == Suppression(CFN_LINT, "E9303", "AppService", "")
    assert suppressions.covering(replace(on_service, rule_id="HOP304")) == Suppression(
        CHECKOV, "CKV_HOP_304", "AppService", "health checks go elsewhere")
    assert suppressions.covering(replace(on_service, rule_id="HOP305")).tool == CHECKOV  # bridgecrew's key
    assert suppressions.covering(replace(on_service, rule_id="HOP306")) == Suppression(
        CFN_LINT, "W93", TEMPLATE_WIDE, "")
    # The comment under Outputs lies in no resource; it is not the last resource's.
    assert suppressions.covering(replace(on_service, rule_id="HOP101")) is None


@pytest.mark.parametrize("finding, tools, accepted_by", [
    (HOP303_FINDING, (CHECKOV, CFN_LINT), "CKV_HOP_303"),  # on the resource to fix
    (HOP303_FINDING, (CFN_LINT,), "E9303"),  # on the service, in cfn-lint's syntax
    (replace(HOP303_FINDING, path=("Resources", "Elsewhere")), (CHECKOV,), None),
    (replace(HOP303_FINDING, rule_id="HOP304"), (CHECKOV,), "CKV_HOP_304"),  # on the service
    (replace(HOP303_FINDING, rule_id="HOP306"), (CFN_LINT,), "W93"),  # template-wide, by prefix
    (replace(HOP303_FINDING, rule_id="HOP306"), (CHECKOV,), None),
    (replace(HOP303_FINDING, rule_id="HOP301"), (CHECKOV, CFN_LINT), None),
])
def test_a_suppression_covers_its_rule_on_the_resource_to_fix_the_one_judged_or_the_template(finding, tools,
                                                                                              accepted_by):
    covering = suppressions_of(TEMPLATE).covering(finding, tools)
    assert (covering.check_id if covering else None) == accepted_by


@pytest.mark.parametrize("metadata", [
    "[a, list]", "{checkov: [skip]}", "{checkov: {skip: {id: CKV_HOP_303}}}", "{checkov: {skip: [{id: 303}]}}",
    "{cfn-lint: {config: [ignore_checks]}}", "{cfn-lint: {config: {ignore_checks: [303, {a: b}]}}}",
])
def test_metadata_of_the_wrong_shape_is_no_suppression_and_no_crash(metadata):
    text = f"Metadata: {metadata}\nResources:\n  AppService:\n    Type: AWS::ECS::Service\n    Metadata: {metadata}\n"
    assert suppressions_of(text).covering(replace(HOP303_FINDING, path=())) is None


def test_a_file_that_is_no_template_has_no_suppressions(tmp_path):
    (tmp_path / "x.yaml").write_text("just: [a, list\n")
    assert cloudformation_suppressions(str(tmp_path / "x.yaml")).covering(HOP303_FINDING) is None
    assert cloudformation_suppressions(str(tmp_path / "missing.yaml")).covering(HOP303_FINDING) is None


def test_terraform_skip_comments_count_strictly_inside_the_block_as_checkov_reads_them(tmp_path):
    main_tf = tmp_path / "main.tf"
    main_tf.write_text('resource "aws_ecs_service" "app" { #checkov:skip=CKV_HOP_304:on the header line\n'
                       '  #checkov:skip=CKV_HOP_303:inside\n'
                       '}\n')
    resources = [{"address": "aws_ecs_service.app", "file": str(main_tf), "start_line": 1, "end_line": 3}]
    suppressions = terraform_suppressions(resources)
    finding = Finding("HOP303", Verdict.FAILED, "aws_ecs_service.app", "aws_ecs_service", "...",
                      ("aws_security_group.app", "ingress"))
    assert suppressions.covering(finding).comment == "inside"
    assert suppressions.covering(replace(finding, rule_id="HOP304")) is None
    # A plan, or a resource without lines, has no comments to read.
    assert terraform_suppressions([dict(resources[0], file=str(tmp_path / "plan.json"))]).covering(finding) is None
    assert terraform_suppressions([dict(resources[0], start_line=None)]).covering(finding) is None

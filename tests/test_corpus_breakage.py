"""Breaking one hop of a real application, in the template where a team would break it, fails the right rule
in checkov and cfn-lint at the line to change (issue #13). Real public applications, read from the corpus
(../shared/corpus or $HOPLINT_CORPUS) and changed in a copy; skipped where the corpus is not at hand: the
project's own applications (tests/test_applications.py) prove the same shapes everywhere."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from checkov_runs import run_checkov

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "corpus"))
import measure  # noqa: E402  (corpus/measure.py: where the corpus and its deployment files are)

CORPUS = measure.corpus_dir(None) / "cloudformation"
APP = "awslabs-fargate-public"
CLUSTER = "aws/services/ECS/FargateLaunchType/clusters/public-vpc.yml"
SERVICE = "aws/services/ECS/FargateLaunchType/services/public-service.yml"
CFN_LINT = Path(sys.executable).with_name("cfn-lint")

pytestmark = pytest.mark.skipif(not (CORPUS / APP).is_dir(), reason=f"the corpus is not at {CORPUS}")


def broken_copy(tmp_path: Path, template: str, old: str, new: str) -> Path:
    copy = tmp_path / APP
    shutil.copytree(CORPUS / APP, copy)
    text = (copy / template).read_text()
    assert text.count(old) == 1, old
    (copy / template).write_text(text.replace(old, new))
    return copy


def line_of(app: Path, template: str, text: str) -> int:
    return next(number for number, line in enumerate((app / template).read_text().splitlines(), 1) if text in line)


def checkov_failed(app: Path, tmp_path: Path, monkeypatch) -> set:
    monkeypatch.setenv("HOPLINT_DEPLOYMENT", str(measure.deployment_file(APP)))
    run = run_checkov("-d", ".", "--framework", "cloudformation", "--check", "CKV_HOP_*", cwd=app,
                      output_dir=tmp_path / "checkov")
    return {(record["check_id"], record["file_path"].lstrip("/")) for record in run.records
            if record["status"] == "FAILED"}


def cfn_lint_failed(app: Path, tmp_path: Path) -> set:
    environment = dict(os.environ, HOME=str(tmp_path), HOPLINT_DEPLOYMENT=str(measure.deployment_file(APP)))
    process = subprocess.run([str(CFN_LINT), "--append-rules", str(Path(__file__).resolve().parents[1] /
                              "custom_checks" / "cfn_lint"), "--format", "parseable", "--", CLUSTER, SERVICE],
                             cwd=app, env=environment, capture_output=True, text=True, timeout=600)
    fields = [line.split(":", 6) for line in process.stdout.splitlines()]
    return {(field[5], field[0], int(field[1])) for field in fields if len(field) == 7 and field[5][1:2] == "9"}


def test_the_network_stack_admitting_the_wrong_port_fails_hop303(tmp_path, monkeypatch):
    app = broken_copy(tmp_path, CLUSTER, "      IpProtocol: -1\n      SourceSecurityGroupId: !Ref 'PublicLoadBalancerSG'",
                      "      IpProtocol: tcp\n      FromPort: 8080\n      ToPort: 8080\n"
                      "      SourceSecurityGroupId: !Ref 'PublicLoadBalancerSG'")
    assert checkov_failed(app, tmp_path, monkeypatch) == {("CKV_HOP_303", CLUSTER)}  # the record is on the fix
    assert cfn_lint_failed(app, tmp_path) == {("E9303", CLUSTER, line_of(app, CLUSTER, "FromPort: 8080"))}


def test_the_service_stack_registering_an_unmapped_port_fails_hop205(tmp_path, monkeypatch):
    app = broken_copy(tmp_path, SERVICE, "          ContainerPort: !Ref 'ContainerPort'\n",
                      "          ContainerPort: 8080\n")
    assert checkov_failed(app, tmp_path, monkeypatch) == {("CKV_HOP_205", SERVICE)}
    assert cfn_lint_failed(app, tmp_path) == {("E9205", SERVICE, line_of(app, SERVICE, "ContainerPort: 8080"))}

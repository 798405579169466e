"""Runs the pack on hostile input in a fresh interpreter and records what it asks the operating system for.

    python audit_probe.py SPEC.json      (prints the recorded events as JSON)

SPEC names the CloudFormation templates to analyse (each through the engine, the checkov adapter and the
cfn-lint adapter, in process) and a Terraform plan file and configuration file. A Python audit hook
(sys.addaudithook, PEP 578) records every event raised while code of the pack (policies/, custom_checks/)
is on the stack: opening files, sockets, processes, imports, compiling and executing code. Everything is
imported, and each path run once on a good fixture, before recording starts: the record shows what the
hostile input made the pack do. Not a test itself (tests/robustness/test_pack_security.py runs it), and
in a process of its own because an audit hook cannot be removed.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(REPO_ROOT), str(REPO_ROOT / "tests")]
PACK_DIRS = tuple(str(REPO_ROOT / directory) for directory in ("policies", "custom_checks"))
GOOD_TEMPLATE = str(REPO_ROOT / "fixtures" / "cloudformation" / "good" / "plain-http.yaml")

from cfnlint.config import ConfigMixIn  # noqa: E402
from cfnlint.decode import decode  # noqa: E402
from cfnlint.rules import Rules  # noqa: E402
from cfnlint.runner import run_template_by_data  # noqa: E402

from checkov_runs import VertexGraph, service_vertex  # noqa: E402
from policies import analyze_file  # noqa: E402
from policies.terraform_analysis import analyze_terraform, analyze_terraform_plan_file  # noqa: E402
from policies.terraform.hcl.evaluation import ConfigurationFiles, evaluate_configuration  # noqa: E402


def checkov_check():
    """One check of the checkov adapter, from its file executed the way checkov executes it (a top-level
    module named after its stem, its directory on sys.path)."""
    checks_dir = REPO_ROOT / "custom_checks" / "checkov"
    sys.path.insert(0, str(checks_dir))
    spec = importlib.util.spec_from_file_location("hoplint_hop303", checks_dir / "hoplint_hop303.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.check


CHECK = checkov_check()
CFN_LINT_RULES = Rules.create_from_directory(str(REPO_ROOT / "custom_checks" / "cfn_lint"))


def run_checkov_check(template: str) -> None:
    CHECK.run(VertexGraph(service_vertex(template, "AppService")))


def run_cfn_lint(template: str) -> None:
    document, errors = decode(template)  # cfn-lint's own reading of the file
    if document is not None and not errors:
        list(run_template_by_data(document, ConfigMixIn(["--include-checks", "I9000"]), CFN_LINT_RULES))


def task_definition_reading(container_definitions: str, configuration: str) -> dict:
    return {"address": "aws_ecs_task_definition.app", "type": "aws_ecs_task_definition", "file": configuration,
            "root": str(Path(configuration).parent), "start_line": 1, "end_line": 9,
            "attributes": {"network_mode": "awsvpc", "container_definitions": container_definitions}}


def analyse_everything(spec: dict) -> None:
    for template in spec["templates"]:
        analyze_file(template)
        run_checkov_check(template)
        run_cfn_lint(template)
    analyze_terraform_plan_file(spec["terraform_plan"])
    analyze_terraform([task_definition_reading(definitions, spec["terraform_configuration"])
                       for definitions in spec["terraform_container_definitions"]], "hostile configuration")
    root = str(Path(spec["terraform_evaluated"]).parent)  # a configuration hoplint evaluates itself
    files = ConfigurationFiles(root, {(): root}, {root: [spec["terraform_evaluated"]]})
    analyze_terraform(evaluate_configuration(files), "hostile evaluated configuration")


recorded: list = []
recording = False
in_hook = False


def callers() -> list:
    """(file, function) of each frame of the code that raised the event, innermost first."""
    frame, found = sys._getframe(2), []
    while frame is not None:
        found.append((frame.f_code.co_filename, frame.f_code.co_name))
        frame = frame.f_back
    return found


def record(event: str, args: tuple) -> None:
    global in_hook
    if not recording or in_hook:
        return
    in_hook = True  # sys._getframe raises an audit event of its own
    try:
        stack = callers()
        if any(file.startswith(PACK_DIRS) for file, _ in stack):
            recorded.append({
                "event": event,
                "args": [arg if isinstance(arg, (str, int)) or arg is None else repr(arg)[:200] for arg in args],
                "functions": [function for _, function in stack],
            })
    finally:
        in_hook = False


def main() -> None:
    global recording
    spec = json.loads(Path(sys.argv[1]).read_text())
    analyse_everything({**spec, "templates": [GOOD_TEMPLATE]})  # every import happens here, unrecorded
    sys.addaudithook(record)
    recording = True
    analyse_everything(spec)
    recording = False
    print(json.dumps(recorded))


if __name__ == "__main__":
    main()

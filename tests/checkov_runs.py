"""The real checkov CLI with hoplint's checks, as the CLI tests run it: one process, its JSON report's
CKV_HOP_ records."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from oracle import REPO_ROOT
from policies import RULES

CHECKOV = Path(sys.executable).with_name("checkov")
CHECKS_DIR = REPO_ROOT / "custom_checks" / "checkov"
CHECK_PREFIX = "CKV_HOP_"
INFORMATION_CHECK_IDS = tuple(rule.checkov_id for rule in RULES.values() if rule.informational)
# `--check` for every hoplint check: a glob leaves out those of information rules, which run only when named.
EVERY_CHECK = ",".join((f"{CHECK_PREFIX}*", *INFORMATION_CHECK_IDS))
# No update check, no download of checkov's id mapping: both reach the network.
CHECKOV_ENV = {"CKV_SKIP_PACKAGE_UPDATE_CHECK": "true", "BC_SKIP_MAPPING": "TRUE"}


@dataclass(frozen=True)
class Checkov:
    """One finished checkov run: its process and the CKV_HOP_ records of its JSON report."""

    process: subprocess.CompletedProcess
    output_dir: Path
    records: list  # JSON record dicts, each with "status": FAILED, PASSED or SKIPPED


def run_checkov(*args: str, cwd: Path, output_dir: Path, formats: tuple = ("json",),
                checks_dir: Path = CHECKS_DIR, launcher: tuple = (str(CHECKOV),)) -> Checkov:
    """`launcher` starts checkov's CLI: its console script, or an interpreter running code that ends in it."""
    pythonpath = os.pathsep.join(filter(None, (str(REPO_ROOT), os.environ.get("PYTHONPATH"))))
    env = dict(os.environ, **CHECKOV_ENV, PYTHONPATH=pythonpath)
    command = [*launcher, "--skip-download", "--external-checks-dir", str(checks_dir)]
    command += [option for output in formats for option in ("-o", output)]
    command += ["--output-file-path", str(output_dir), *args]
    process = subprocess.run(command, check=False, cwd=cwd, env=env, capture_output=True, text=True, timeout=600)
    # 0: nothing failed, 1: something failed; anything else is checkov breaking down.
    assert process.returncode in (0, 1), process.stderr
    assert "Traceback" not in process.stderr, process.stderr
    assert "hoplint: " not in process.stderr, process.stderr  # the adapter warns only when it cannot judge
    reports = json.loads((output_dir / "results_json.json").read_text())
    reports = reports if isinstance(reports, list) else [reports]  # a list when several frameworks report
    assert not [error for report in reports for error in report["results"].get("parsing_errors", [])]
    records = [
        dict(record, status=record["check_result"]["result"])
        for report in reports
        for section in ("failed_checks", "passed_checks", "skipped_checks")
        for record in report["results"][section]
        if record["check_id"].startswith(CHECK_PREFIX)
    ]
    # Checkov loads the checks once per runner: still one record per check and resource.
    identities = [(record["check_id"], record["file_abs_path"], record["resource"]) for record in records]
    assert len(identities) == len(set(identities))
    return Checkov(process, output_dir, records)


def checkov_graph(template: Path):
    """The graph checkov's CloudFormation runner builds of one template, as its graph checks are handed it."""
    from checkov.cloudformation.runner import Runner
    from checkov.runner_filter import RunnerFilter

    runner = Runner()  # a fresh runner: checkov's runners keep the graph of their previous run
    runner.run(root_folder=None, files=[str(template)],
               runner_filter=RunnerFilter(framework=["cloudformation"], checks=["CKV_HOP_NONE"],
                                          show_progress_bar=False))
    return runner.graph_manager.get_reader_endpoint()


class VertexGraph:
    """Vertices without edges, shaped like checkov's rustworkx graph: what a test hands a graph check."""

    def __init__(self, *vertices: dict) -> None:
        self.vertices = list(enumerate(vertices))

    def nodes(self) -> list:
        return self.vertices

    def weighted_edge_list(self) -> list:
        return []


def service_vertex(template: Path, logical_id: str = "ApiService") -> dict:
    """An ECS service's vertex in checkov's CloudFormation graph: what the checks read of it."""
    name = f"AWS::ECS::Service.{logical_id}"
    return {"block_type_": "resource", "block_name_": name, "id_": name, "resource_type": "AWS::ECS::Service",
            "file_path_": str(template)}

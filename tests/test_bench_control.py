"""The bench's no-op control pack must give checkov the very records the pack gives it, without the engine.

`make bench` reads what the control costs as checkov's own work for the pack's results, and the pack's
cost over the control as hoplint's. That holds only while both hand checkov the same results: same
checks, resources, verdicts and entities (checkov copies each entity and writes it into its reports).
This runs both on a generated stack of two services, CloudFormation and Terraform, and compares every
field of their JSON records but the details, which only the engine writes, and the checks' module names.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from checkov_runs import CHECKS_DIR, run_checkov
from oracle import REPO_ROOT

sys.path.insert(0, str(REPO_ROOT / "benchmarks"))
import bench  # noqa: E402  (benchmarks/bench.py)
import stacks  # noqa: E402

SERVICES = 2
# Written by the engine only (details), or naming the module of the check's class (check_class).
NOT_COMPARED = {"details", "check_class"}


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> dict:
    work = tmp_path_factory.mktemp("bench")
    template = stacks.write_cloudformation(work / "cloudformation", SERVICES)[0]
    no_op_pack = bench.write_no_op_pack(work / "no_op_checks", bench.passed_types(bench.judged(template)))
    return {"cloudformation": template, "terraform": stacks.write_terraform(work / "terraform", SERVICES),
            "no_op_pack": no_op_pack, "work": work}


def records(target: Path, framework: str, checks_dir: Path, output_dir: Path) -> list:
    """The CKV_HOP_ records of one checkov run, each as comparable text."""
    output_dir.mkdir()
    scanned = ("-f", str(target)) if target.is_file() else ("-d", str(target))
    result = run_checkov(*scanned, "--framework", framework, cwd=output_dir, output_dir=output_dir,
                         checks_dir=checks_dir)
    return sorted(json.dumps({key: value for key, value in record.items() if key not in NOT_COMPARED},
                             sort_keys=True) for record in result.records)


@pytest.mark.parametrize("framework", ["cloudformation", "terraform"])
def test_the_control_pack_records_exactly_what_the_pack_records(generated: dict, framework: str) -> None:
    target, work = generated[framework], generated["work"]
    with_pack = records(target, framework, CHECKS_DIR, work / f"{framework}-with")
    control = records(target, framework, generated["no_op_pack"], work / f"{framework}-no-op")

    # One per hop checkov reports by default: 12 per service (HOP206, information, runs only when named), 2 on
    # the listener.
    assert len(with_pack) == 12 * SERVICES + 2
    assert control == with_pack

"""`make demo`, as a newcomer runs it: it succeeds, prints no make error lines (a bad fixture's failure is
what the demo shows, not a breakage), and ends with a plain summary of what each tool caught."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from oracle import REPO_ROOT

SUMMARY = re.compile(
    r"== What hoplint caught: every bad fixture breaks the rule its name says, every good one nothing ==\n"
    r"  checkov, CloudFormation:   (\d+) failed checks in the bad fixtures, 0 in the good ones\n"
    r"  cfn-lint, CloudFormation:  (\d+) findings at their lines in the bad fixtures, 0 in the good ones\n"
    r"  checkov, Terraform:        (\d+) failed checks in the bad configurations, 0 in the good ones\n"
    r"  checkov, Terraform plan:   1 failed check\n"
    r"  an application of stacks:  checkov 1 failed check, cfn-lint 1 finding, explain: 1 application, 1 path: "
    r"1 failed, 0 unknown, 0 passed\n"
    r"  hoplint explain:           1 template, 1 path: 1 failed, 0 unknown, 0 passed\n$")


@pytest.mark.slow
def test_make_demo_ends_with_what_was_caught(tmp_path):
    """With this test run's environment as the Makefile's .venv (-o: not installed again), about a minute."""
    make = shutil.which("make")
    if make is None:
        pytest.skip("make is not installed")
    venv = Path(sys.prefix)
    demo = subprocess.run([make, "-s", "-o", f"{venv}/.installed", "demo", f"VENV={venv}", f"DEMO_OUT={tmp_path}"],
                          cwd=REPO_ROOT, capture_output=True, text=True, timeout=900, check=False)
    output = demo.stdout + demo.stderr
    assert demo.returncode == 0, output
    assert "make:" not in output and "Error" not in output and "(ignored)" not in output
    summary = SUMMARY.search(demo.stdout)
    assert summary, demo.stdout[-2000:]
    checkov_failed, cfn_lint_found, terraform_failed = map(int, summary.groups())
    # Counted from the runs above it: one record per resource to fix, one cfn-lint match per property.
    assert checkov_failed == (tmp_path / "checkov-cloudformation.txt").read_text().count("\tFAILED for resource:")
    assert cfn_lint_found == len(re.findall(r"^[EW]9\d{3} ", (tmp_path / "cfn-lint.txt").read_text(), re.M)) > 40
    assert terraform_failed == (tmp_path / "checkov-terraform.txt").read_text().count("\tFAILED for resource:")

"""No step of the engine compares everything with everything: its work grows linearly with the template.

Counted, not timed: every function's number of calls on a template four times as large may be at most
about four times as many. A step that compared every security-group rule with every service (or every
forward with every service) would make some function's calls grow sixteenfold. `make bench` times it.
"""

from __future__ import annotations

import cProfile
import pstats
import sys
from pathlib import Path

from oracle import REPO_ROOT
from policies import Verdict, analyze_file, cache
from policies.analysis import analyze_paths
from policies.terraform_analysis import analyze_terraform
from policies.terraform.hcl.evaluation import ConfigurationFiles, evaluate_configuration

sys.path.insert(0, str(REPO_ROOT / "benchmarks"))
import stacks  # noqa: E402  (benchmarks/stacks.py: the generated ALB + ECS stacks)

SMALL, LARGE = 100, 400  # services; LARGE is past CloudFormation's 500 resources, not past the engine
ALLOWED_GROWTH = 1.25  # calls may grow this much faster than the template (fixed costs shrink, none grow)


def calls_per_function(function, *arguments) -> dict:
    cache._cache.clear()  # build it here, whatever other tests analysed
    profile = cProfile.Profile()
    profile.runcall(function, *arguments)
    return {f"{file}:{line}({name})": stats[1] for (file, line, name), stats in pstats.Stats(profile).stats.items()}


def superlinear(small: dict, large: dict, growth: float) -> dict:
    return {function: (small.get(function, 0), calls) for function, calls in large.items()
            if calls > 1000 and calls > small.get(function, 0) * growth * ALLOWED_GROWTH}


def test_no_function_is_called_more_than_linearly_often(tmp_path):
    small = calls_per_function(analyze_file, str(stacks.write_cloudformation(tmp_path, SMALL)[0]))
    large = calls_per_function(analyze_file, str(stacks.write_cloudformation(tmp_path, LARGE)[0]))
    growth = stacks.cloudformation_resource_count(LARGE) / stacks.cloudformation_resource_count(SMALL)
    assert superlinear(small, large, growth) == {}


def test_joining_stacks_is_linear_in_the_application_too(tmp_path):
    """The same services as an application of forty stacks (nested and exported): no step compares every stack
    with every other, or every import with every export."""
    def templates(services: int) -> list:
        directory = stacks.write_cloudformation_application(tmp_path, services)[0].parent
        return sorted(str(path) for path in directory.rglob("*.yaml"))

    small = calls_per_function(analyze_paths, templates(SMALL))
    large = calls_per_function(analyze_paths, templates(LARGE))
    growth = stacks.application_resource_count(LARGE) / stacks.application_resource_count(SMALL)
    assert superlinear(small, large, growth) == {}


def evaluate_module_calls(directory: Path) -> None:
    """hoplint's evaluation of the module-call configuration (policies/terraform/hcl), and its analysis."""
    files: dict = {}
    for path in sorted(map(str, directory.rglob("*.tf"))):  # sorted as text: pathlib's ordering is n log n calls
        files.setdefault(str(Path(path).parent), []).append(path)
    module = str(directory / "modules" / "service")
    calls = {(path.stem,): module for path in directory.glob("svc*.tf")}
    resources = evaluate_configuration(ConfigurationFiles(str(directory), {(): str(directory), **calls}, files))
    analysis_of_them = analyze_terraform(resources, str(directory))
    assert {finding.verdict for finding in analysis_of_them.findings} == {Verdict.PASSED}


def test_terraform_evaluation_calls_no_function_more_than_linearly_often(tmp_path):
    """The same design as Terraform module calls: one call of a local module per service, evaluated by hoplint."""
    small = calls_per_function(evaluate_module_calls, stacks.write_terraform(tmp_path, SMALL, module_calls=True))
    large = calls_per_function(evaluate_module_calls, stacks.write_terraform(tmp_path, LARGE, module_calls=True))
    growth = stacks.terraform_resource_count(LARGE) / stacks.terraform_resource_count(SMALL)
    assert superlinear(small, large, growth) == {}

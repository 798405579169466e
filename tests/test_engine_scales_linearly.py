"""No step of the engine compares everything with everything: its work grows linearly with the template.

Counted, not timed: every function's number of calls on a template four times as large may be at most
about four times as many. A step that compared every security-group rule with every service (or every
forward with every service) would make some function's calls grow sixteenfold. `make bench` times it.
"""

from __future__ import annotations

import cProfile
import pstats
import sys

from oracle import REPO_ROOT
from policies import analyze_file, cache

sys.path.insert(0, str(REPO_ROOT / "benchmarks"))
import stacks  # noqa: E402  (benchmarks/stacks.py: the generated ALB + ECS stacks)

SMALL, LARGE = 100, 400  # services; LARGE is past CloudFormation's 500 resources, not past the engine
ALLOWED_GROWTH = 1.25  # calls may grow this much faster than the template (fixed costs shrink, none grow)


def calls_per_function(path) -> dict:
    cache._cache.clear()  # build it here, whatever other tests analysed
    profile = cProfile.Profile()
    profile.runcall(analyze_file, str(path))
    return {f"{file}:{line}({name})": stats[1] for (file, line, name), stats in pstats.Stats(profile).stats.items()}


def test_no_function_is_called_more_than_linearly_often(tmp_path):
    small = calls_per_function(stacks.write_cloudformation(tmp_path, SMALL)[0])
    large = calls_per_function(stacks.write_cloudformation(tmp_path, LARGE)[0])
    growth = stacks.cloudformation_resource_count(LARGE) / stacks.cloudformation_resource_count(SMALL)
    superlinear = {function: (small.get(function, 0), calls) for function, calls in large.items()
                   if calls > 1000 and calls > small.get(function, 0) * growth * ALLOWED_GROWTH}
    assert superlinear == {}


def application_calls(directory) -> dict:
    from policies.analysis import analyze_paths

    cache._cache.clear()
    profile = cProfile.Profile()
    profile.runcall(analyze_paths, sorted(str(path) for path in directory.rglob("*.yaml")))
    return {f"{file}:{line}({name})": stats[1] for (file, line, name), stats in pstats.Stats(profile).stats.items()}


def test_joining_stacks_is_linear_in_the_application_too(tmp_path):
    """The same services as an application of forty stacks (nested and exported): no step compares every stack
    with every other, or every import with every export."""
    small = application_calls(stacks.write_cloudformation_application(tmp_path, SMALL)[0].parent)
    large = application_calls(stacks.write_cloudformation_application(tmp_path, LARGE)[0].parent)
    growth = stacks.application_resource_count(LARGE) / stacks.application_resource_count(SMALL)
    superlinear = {function: (small.get(function, 0), calls) for function, calls in large.items()
                   if calls > 1000 and calls > small.get(function, 0) * growth * ALLOWED_GROWTH}
    assert superlinear == {}

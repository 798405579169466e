"""Applications of templates given as mappings, their deployments and topologies, asked the way
policies.analysis asks: for tests."""

from __future__ import annotations

from policies.application import join
from policies.application.scenarios import ConditionSpace
from policies.application.scopes import Scenario
from policies.cloudformation.loader import ScannedTemplate
from policies.cloudformation.topology_builder import build_topology


def condition_scenarios(*templates: dict, stack: int = 0, names: tuple = ()) -> list | None:
    """{condition: bool} of every deployment of one stack (by index) of the application the templates form
    (read as files named `names`), all of their conditions asked about; None when there are too many
    deployments to judge each."""
    names = names or tuple(f"t{index}.yaml" for index in range(len(templates)))
    scan = join([ScannedTemplate(name, template) for name, template in zip(names, templates)])
    assert not scan.problems, scan.problems
    application = scan.applications[0]
    space = ConditionSpace(application)
    consulted = {(each, name) for each in application.stacks for name in space.definitions(each).definitions}
    combinations = space.assignments(space.keys_of(consulted))
    if combinations is None:
        return None
    chosen = application.stacks[stack]
    return [space.condition_values(chosen, decided) for decided in combinations]


def default_topology(*templates: dict):
    """The topology of the default deployment of the application the templates form."""
    scan = join([ScannedTemplate(f"t{index}.yaml", template) for index, template in enumerate(templates)])
    assert not scan.problems, scan.problems
    application = scan.applications[0]
    scenario = Scenario(application, ConditionSpace(application))
    return build_topology([scenario.scope(stack) for stack in scenario.deployed_stacks()])


def analyze_templates(templates: dict, description=None):
    """The analysis of a scan of `templates` (file name -> template mapping), as if read from those files."""
    from policies.analysis import analyze_scan

    return analyze_scan([ScannedTemplate(name, template) for name, template in templates.items()], description)

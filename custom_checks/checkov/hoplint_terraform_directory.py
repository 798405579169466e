"""A Terraform configuration directory -> the engine's analysis of each root module, through checkov, and the
skip comments written in it.

Reading a configuration takes checkov's rendered graph (variables, locals, modules, count and for_each
resolved), so this lives on the adapter side: the engine (`policies`) never imports checkov. checkov's
own Terraform runner renders the graph in this process, as `checkov -d DIR --framework terraform` does for
the checks; its vertices and edges become the engine's resource dicts (`read_graph`, which evaluates a root
module itself where checkov's rendering is incomplete), analysed per root module (`analyze_terraform_roots`).
Users:

- `hoplint explain DIR` (policies/cli.py imports this module lazily, only for a directory with .tf files);
- the Terraform tests (tests/terraform_fixtures.py), which so judge the fixtures as explain does.

checkov imports every ``.py`` of this directory as a check module: this one defines no ``check``, and its
import is cheap (checkov and the engine are imported inside the functions).
"""

from __future__ import annotations

import contextlib
import logging
import os
from typing import Iterator

# Set before checkov is imported, unless the caller chose otherwise: no update check, no download of
# checkov's id mapping (both reach the network).
CHECKOV_ENVIRONMENT = {"CKV_SKIP_PACKAGE_UPDATE_CHECK": "true", "BC_SKIP_MAPPING": "TRUE"}
NO_CHECK = "CKV_HOP_NONE"  # the runner only has to render the graph: a check filter that matches no check


def analyze_terraform_directory(directory: str) -> dict:
    """Absolute directory of each root module under `directory` -> (its Analysis, its Suppressions).

    A root module (or, for a local module, its own directory) with a file checkov cannot parse gets an
    Analysis with only a problem naming the file: judging the rest would miss that file's resources.
    Root modules without resources are left out. Raises ModuleNotFoundError (name "checkov...") when
    checkov is not installed.
    """
    from policies.findings import Analysis
    from policies.suppressions import Suppressions, terraform_suppressions
    from policies.terraform_analysis import analyze_terraform_roots

    reading, unparsed = _render(directory)
    by_root: dict = {}
    for resource in reading.resources:
        by_root.setdefault(resource.get("root"), []).append(resource)
    read = {root: (analysis, terraform_suppressions(by_root.get(root, ())))
            for root, analysis in analyze_terraform_roots(reading.resources, reading.problems).items()}
    problems: dict = {}
    for path in unparsed:
        problems.setdefault(os.path.dirname(path), []).append(f"{path}: checkov cannot parse this Terraform file")
    for root, messages in problems.items():
        read[root] = (Analysis(source=root, problems=messages), Suppressions())
    return read


def terraform_resources(directory: str) -> list:
    """The engine's resource dicts of every root module under `directory` (files checkov cannot parse, and
    root modules that cannot be evaluated, are left out: analyze_terraform_directory reports them)."""
    return _render(directory)[0].resources


def _render(directory: str) -> tuple:
    """(GraphReading, absolute paths of the files checkov could not parse) of a configuration directory."""
    for name, value in CHECKOV_ENVIRONMENT.items():
        os.environ.setdefault(name, value)
    from checkov.runner_filter import RunnerFilter
    from checkov.terraform.runner import Runner

    from policies.checkov_graph import graph_vertices_and_edges
    from policies.terraform import GraphReading, read_graph

    runner = Runner()  # a fresh runner: checkov's runners keep the graph of their previous run
    with _quiet():
        report = runner.run(root_folder=os.path.abspath(directory),
                            runner_filter=RunnerFilter(framework=["terraform"], checks=[NO_CHECK],
                                                       show_progress_bar=False))
    reading = GraphReading()
    for graph, _ in runner.all_graphs:  # one graph, or one per split with TF_SPLIT_GRAPH
        part = read_graph(*graph_vertices_and_edges(graph))
        reading.resources += part.resources
        reading.problems.update(part.problems)
    reports = report if isinstance(report, list) else [report]
    unparsed = sorted({os.path.abspath(path) for each in reports for path in getattr(each, "parsing_errors", ())})
    return reading, unparsed


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """No log output while checkov renders: it warns about what it skips, which is no concern of explain."""
    previous = logging.root.manager.disable
    logging.disable(logging.CRITICAL)
    try:
        yield
    finally:
        logging.disable(previous)

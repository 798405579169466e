"""The topology is built once per template per run, however many rules ask about it.

policies.cache.BUILD_COUNT counts the analyses the engine builds; an analysis builds the template's
topology (one per combination of conditions the template allows) and runs every rule on it. Through the
real adapters, each template must cost exactly one build: cfn-lint runs every rule on it, checkov runs
every graph check on the graph that holds it and fills in every record's details.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from cfnlint.api import ManualArgs, lint
from checkov_runs import checkov_graph
from oracle import APPLICATIONS, APPLICATIONS_DIR, FIXTURES_DIR, REPO_ROOT, fixture_templates, templates_of
from policies import RULES, Verdict, analyze_file, cache

CFN_LINT_RULES = REPO_ROOT / "custom_checks" / "cfn_lint"
CHECKOV_CHECKS = REPO_ROOT / "custom_checks" / "checkov"
TERRAFORM_FIXTURES = REPO_ROOT / "fixtures" / "terraform"
TEMPLATES = fixture_templates()
# cfn-lint runs informational rules only when included: the catalog's information rules (I9206) too.
INFORMATION_RULES = [rule.cfn_lint_id for rule in RULES.values() if rule.informational]


def builds_during(action) -> int:
    before = cache.BUILD_COUNT
    action()
    return cache.BUILD_COUNT - before


@pytest.fixture
def clean_directory(tmp_path, monkeypatch):
    """No .cfnlintrc in the working directory or HOME to add or change rules."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path))
    return tmp_path


@pytest.mark.parametrize("template", TEMPLATES)
def test_cfn_lint_builds_once_per_template_for_all_rules(template, clean_directory):
    text = (FIXTURES_DIR / template).read_text()
    matches = []

    def run() -> None:
        matches.extend(lint(text, config=ManualArgs(append_rules=[str(CFN_LINT_RULES)],
                                                    include_checks=INFORMATION_RULES)))

    assert builds_during(run) == 1
    if template.startswith("bad/"):  # the rules did run on that one build
        assert any(match.rule.id[1:].startswith("9") for match in matches), template


@pytest.fixture(scope="module")
def checkov_checks():
    """Every check of the pack, from its file executed the way checkov executes it (a top-level module named
    after its stem, its directory on sys.path)."""
    stems = sorted(path.stem for path in CHECKOV_CHECKS.glob("hoplint_hop*.py"))
    sys.path.insert(0, str(CHECKOV_CHECKS))
    try:
        checks = []
        for stem in stems:
            spec = importlib.util.spec_from_file_location(stem, CHECKOV_CHECKS / f"{stem}.py")
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
            checks.append(module.check)
        yield checks
    finally:
        sys.path.remove(str(CHECKOV_CHECKS))


@pytest.mark.parametrize("template", TEMPLATES)
def test_checkov_builds_once_per_template_for_all_checks(template, checkov_checks, tmp_path):
    # A copy: the engine caches by path and content, and other tests may have analysed the fixture.
    copy = tmp_path / Path(template).name
    shutil.copy(FIXTURES_DIR / template, copy)
    graph = checkov_graph(copy)
    results = []

    def run_every_check() -> None:
        for check in checkov_checks:
            passed, failed, _ = check.run(graph)
            results.extend(passed + failed)

    assert builds_during(run_every_check) == 1
    analysis = analyze_file(str(copy))  # the same build, cached
    verdicts = [analysis.verdict(f.rule_id, f.resource)[0] for f in {(f.rule_id, f.resource): f
                                                                    for f in analysis.findings}.values()]
    answered = [verdict for verdict in verdicts if verdict in (Verdict.PASSED, Verdict.FAILED)]
    assert answered and len(results) == len(answered)  # every check answered, on the one build


# One whole checkov run, in its own process, reporting the builds it made when it exits.
COUNTING_CHECKOV = (
    "import atexit, sys\n"
    "from policies import analysis, cache\n"
    "from policies.cloudformation import loader\n"
    "atexit.register(lambda: print('BUILD_COUNT', cache.BUILD_COUNT, 'JUDGED', analysis.APPLICATIONS_JUDGED, "
    "'PARSED', loader.TEMPLATES_PARSED, file=sys.stderr))\n"
    "from checkov.main import Checkov\n"
    "sys.exit(Checkov(sys.argv[1:]).run())\n"
)


def checkov_run_builds(directory: Path, framework: str) -> tuple:
    env = dict(os.environ, CKV_SKIP_PACKAGE_UPDATE_CHECK="true", BC_SKIP_MAPPING="TRUE",
               PYTHONPATH=os.pathsep.join(filter(None, (str(REPO_ROOT), os.environ.get("PYTHONPATH")))))
    process = subprocess.run(
        [sys.executable, "-c", COUNTING_CHECKOV, "-d", str(directory), "--framework", framework, "--skip-download",
         "--quiet", "--compact", "--external-checks-dir", str(CHECKOV_CHECKS)],
        cwd=directory, env=env, capture_output=True, text=True, timeout=600, check=False,
    )
    assert process.returncode in (0, 1), process.stderr
    assert "Passed checks:" in process.stdout, process.stdout
    counts = process.stderr.rsplit("BUILD_COUNT", 1)[1].split()
    return int(counts[0]), int(counts[2]), int(counts[4])


def test_a_checkov_run_builds_each_cloudformation_template_once():
    """One analysis of the scan, in which each template (an application of one stack: the good fixtures are
    unrelated) is judged once, on checkov's parse of it: hoplint parses no template again."""
    templates = [name for name in TEMPLATES if name.startswith("good/")]
    assert checkov_run_builds(FIXTURES_DIR / "good", "cloudformation") == (1, len(templates), 0)


def test_a_checkov_run_builds_a_terraform_configuration_once():
    assert checkov_run_builds(TERRAFORM_FIXTURES / "good" / "two-services-listener-rules", "terraform") == (1, 0, 0)


# One whole cfn-lint run over several templates, in its own process, reporting what it judged when it exits.
COUNTING_CFN_LINT = (
    "import atexit, sys\n"
    "from policies import analysis, cache\n"
    "atexit.register(lambda: print('BUILD_COUNT', cache.BUILD_COUNT, 'JUDGED', analysis.APPLICATIONS_JUDGED, "
    "file=sys.stderr))\n"
    "from cfnlint.runner import main\n"
    "sys.argv[0] = 'cfn-lint'\n"
    "main()\n"
)


@pytest.mark.parametrize("application", [name for name in APPLICATIONS if len(templates_of(name)) > 2])
def test_a_cfn_lint_run_judges_an_application_once(application):
    """Each template of the run is linted in turn, and each asks for the application it belongs to: the
    application is judged once, not once per template."""
    directory = APPLICATIONS_DIR / application
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, (str(REPO_ROOT), os.environ.get("PYTHONPATH")))))
    process = subprocess.run(
        [sys.executable, "-c", COUNTING_CFN_LINT, "--append-rules", str(CFN_LINT_RULES), "--",
         *templates_of(application)],
        cwd=directory, env=env, capture_output=True, text=True, timeout=600, check=False)
    assert process.returncode in (0, 2, 4, 6, 8, 10, 12, 14), process.stderr
    counts = process.stderr.rsplit("BUILD_COUNT", 1)[1].split()
    assert int(counts[2]) == 1, process.stderr

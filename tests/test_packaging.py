"""How other repositories use the pack: the installed package, `.cfnlintrc` by module name, pre-commit, CI.

The installed name of the adapters, `hoplint_adapters`, exists only in an installed pack (setup.cfg maps
it to custom_checks/). Tests that run from a checkout get it from a link to custom_checks/ on PYTHONPATH;
the slow tests install the pack for real: into a fresh virtual environment, and as pre-commit installs a
hook (with checkov: a minute or two).
"""

from __future__ import annotations

import configparser
import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import cfnlint
import jsonschema
import pytest
import yaml

from oracle import FIXTURES_DIR, REPO_ROOT
from policies import RULES
from test_sarif import sarif_schema, schema_errors  # noqa: F401  (a fixture)
from readme_commands import (
    BAD_CONFIGURATION,
    BAD_TEMPLATE,
    HOPLINT_URL,
    PRE_COMMIT,
    README,
    assert_every_command_caught_the_broken_hop,
    readme_blocks,
    run_readme,
    run_readme_command,
    user_repository,
)

BIN_DIR = os.path.dirname(sys.executable)  # the tools of the interpreter running the tests
CFN_LINT = shutil.which("cfn-lint", path=BIN_DIR)
CHECKOV = shutil.which("checkov", path=BIN_DIR)
GOOD_TEMPLATE = FIXTURES_DIR / "good" / "https-redirect.yaml"
# What cfn-lint says about BAD_TEMPLATE (expected.json: HOP303 FAILED on AppService, line 46).
CFN_LINT_MATCH = "E9303 service AppService (LoadBalancers[0] -> AppTargetGroup): task SG AppSg allows tcp/80"
CFN_LINT_LOCATION = "app.yaml:46:11"
CHECKOV_ENV = {"CKV_SKIP_PACKAGE_UPDATE_CHECK": "true", "BC_SKIP_MAPPING": "TRUE"}


@pytest.fixture(scope="module")
def pack_env(tmp_path_factory) -> dict:
    """An environment where the pack imports as installed: `hoplint_adapters` links to custom_checks/."""
    shim = tmp_path_factory.mktemp("installed-names")
    (shim / "hoplint_adapters").symlink_to(REPO_ROOT / "custom_checks", target_is_directory=True)
    pythonpath = os.pathsep.join(filter(None, (str(shim), str(REPO_ROOT), os.environ.get("PYTHONPATH"))))
    return dict(os.environ, PYTHONPATH=pythonpath, PYTHONDONTWRITEBYTECODE="1", **CHECKOV_ENV)


def project(root: Path, template: Path = BAD_TEMPLATE) -> Path:
    """A repository of someone using the pack: one template under infra/."""
    (root / "infra").mkdir(parents=True)
    shutil.copyfile(template, root / "infra" / "app.yaml")
    return root


def run(command: list, cwd: Path, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=600, check=False)


def test_setup_cfg_lists_every_package_of_the_tree():
    config = configparser.ConfigParser()
    config.read(REPO_ROOT / "setup.cfg")
    listed = config["options"]["packages"].split()
    mapping = dict(line.split(" = ") for line in config["options"]["package_dir"].strip().splitlines())
    assert mapping == {"hoplint_adapters": "custom_checks"}
    # Every directory of Python modules, __init__.py or not (the checkov adapter's shared code is a namespace
    # package, which checkov's loader skips).
    in_tree = {
        ".".join(module.parent.relative_to(REPO_ROOT).parts).replace("custom_checks", "hoplint_adapters", 1)
        for top in ("policies", "custom_checks")
        for module in (REPO_ROOT / top).rglob("*.py")
    }
    assert sorted(listed) == sorted(in_tree)


def test_example_cfnlintrc_names_the_installed_rules(pack_env, tmp_path):
    """cfn-lint imports an append_rules entry that is not a directory as a module (cfnlint/runner/cli.py)."""
    schema = json.loads((Path(cfnlint.__file__).parent / "data" / "CfnLintCli" / "config" / "schema.json").read_text())
    config = yaml.safe_load((REPO_ROOT / "examples" / ".cfnlintrc").read_text())
    jsonschema.validate(config, schema)
    repository = project(tmp_path / "repository")
    shutil.copyfile(REPO_ROOT / "examples" / ".cfnlintrc", repository / ".cfnlintrc")
    env = dict(pack_env, HOME=str(tmp_path))

    # As it is: rules from .cfnlintrc, templates named as the README, an editor or pre-commit name them.
    linted = run([CFN_LINT, "infra/**/*.yaml"], cwd=repository, env=env)
    assert linted.returncode == 2, linted.stderr
    assert linted.stdout.startswith(CFN_LINT_MATCH) and f"infra/{CFN_LINT_LOCATION}" in linted.stdout

    listing = run([CFN_LINT, "--list-rules"], cwd=repository, env=env).stdout
    listed = dict(re.findall(r"^([EWI]9\d{3}): (.*)$", listing, re.MULTILINE))
    assert listed == {"I9000": "Ensure hoplint could analyse the template",
                      **{rule.cfn_lint_id: rule.title for rule in RULES.values()}}

    # Listing templates in it instead, with a glob that matches nothing, is what its comment warns about.
    (repository / ".cfnlintrc").write_text((repository / ".cfnlintrc").read_text().replace(
        "# templates:\n#   - infra/**/*.yaml", "templates:\n  - templates/**/*.yaml"))
    assert "E0003 templates/**/*.yaml could not be processed" in run([CFN_LINT], cwd=repository, env=env).stdout
    assert "cfn-lint stops with E0003 for a glob that matches no file" in config_text()


def config_text() -> str:
    return (REPO_ROOT / "examples" / ".cfnlintrc").read_text()


def test_github_actions_example_checks_cloudformation_and_terraform_and_uploads_what_checkov_writes(tmp_path,
                                                                                                  sarif_schema):
    """The workflow's own steps, run as the runner runs them (bash, the job's and the step's env) in a repository
    holding a broken template and a broken Terraform configuration; its pip install is this environment's."""
    workflow = yaml.safe_load((REPO_ROOT / "examples" / "github-actions.yml").read_text())
    assert workflow["permissions"]["security-events"] == "write"
    steps = workflow["jobs"]["hoplint"]["steps"]
    (checkov,) = [step for step in steps if step.get("run", "").startswith("checkov ")]
    (upload,) = [step for step in steps if step.get("uses", "").startswith("github/codeql-action/upload-sarif@")]
    (summary,) = [step for step in steps if "GITHUB_STEP_SUMMARY" in step.get("run", "")]
    assert upload["if"] == summary["if"] == "${{ !cancelled() }}"  # also when checkov failed the job
    repository = user_repository(tmp_path / "repository")
    job_env = dict(user_environment(tmp_path), **workflow["env"], GITHUB_STEP_SUMMARY=str(tmp_path / "summary.md"))

    scanned = run(["bash", "-e", "-c", checkov["run"]], cwd=repository, env=dict(job_env, **checkov.get("env", {})))
    assert scanned.returncode == 1, scanned.stdout + scanned.stderr  # the job fails: a hop is broken
    sarif = json.loads((repository / upload["with"]["sarif_file"]).read_text())
    alerts = {(result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"], result["message"]["text"])
              for run_ in sarif["runs"] for result in run_["results"] if result["ruleId"] == "CKV_HOP_303"}
    assert {uri for uri, _ in alerts} == {"infra/app.yaml", "infra/network/main.tf"}
    assert all(text.startswith("service ") for _, text in alerts)
    assert schema_errors(sarif_schema, sarif) == []  # what upload-sarif checks

    drawn = run(["bash", "-e", "-c", summary["run"]], cwd=repository, env=job_env)
    assert drawn.returncode == 0, drawn.stderr  # 1 (a broken hop) is the checkov step's to report
    diagram = (tmp_path / "summary.md").read_text()
    assert diagram.startswith("```mermaid\nflowchart LR") and "infra/network" in diagram and "infra/app.yaml" in diagram


def user_environment(home: Path) -> dict:
    """A user's shell with the pack installed in this environment: its tools first on PATH, no PYTHONPATH."""
    environment = {key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "NO_COLOR")}
    return dict(environment, PATH=os.pathsep.join((BIN_DIR, os.environ.get("PATH", ""))), HOME=str(home),
                **CHECKOV_ENV)


def snapshot(source: Path, destination: Path) -> str:
    """A git repository holding the working tree of `source` as one commit (what a consumer pins to).
    `pre-commit try-repo` would leave out files git does not track yet."""
    files = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"], cwd=source,
                           capture_output=True, check=True).stdout.decode().split("\0")
    for name in filter(None, files):
        if (source / name).is_file():
            (destination / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source / name, destination / name)
    return commit_all(destination)


def commit_all(repository: Path) -> str:
    git = ["git", "-c", "user.name=hoplint tests", "-c", "user.email=tests@hoplint.invalid"]
    if not (repository / ".git").exists():
        subprocess.run(["git", "init", "-q"], cwd=repository, check=True)
    subprocess.run(["git", "add", "-A"], cwd=repository, check=True)
    subprocess.run([*git, "commit", "-q", "-m", "snapshot"], cwd=repository, check=True)
    return subprocess.run(["git", "rev-parse", "HEAD"], cwd=repository, capture_output=True, text=True,
                          check=True).stdout.strip()


def hook(hook_id: str) -> dict:
    hooks = yaml.safe_load((REPO_ROOT / ".pre-commit-hooks.yaml").read_text())
    return next(h for h in hooks if h["id"] == hook_id)


def pre_commit_env(home: Path) -> dict:
    """The shell of a user with pre-commit installed (this environment's), and a PRE_COMMIT_HOME of the test's."""
    environment = dict(os.environ, PRE_COMMIT_HOME=str(home), PATH=os.pathsep.join((BIN_DIR, os.environ["PATH"])))
    environment.pop("PYTHONPATH", None)  # the hook runs the pack pre-commit installed
    return environment


PRE_COMMIT_RUN = [sys.executable, "-m", "pre_commit", "run", "--all-files", "--color=never"]


def test_pre_commit_hook_without_checkov_still_shows_the_cloudformation_results(tmp_path):
    """The `hoplint` hook from a consumer's .pre-commit-config.yaml that leaves out its checkov (about 10 s):
    the Terraform configuration cannot be read, and the broken template is explained all the same."""
    pack = tmp_path / "hoplint"
    rev = snapshot(REPO_ROOT, pack)
    repository = project(tmp_path / "repository")
    shutil.copytree(BAD_CONFIGURATION, repository / "infra" / "network")
    hooks = [{"id": "hoplint", "args": ["infra"], "additional_dependencies": []}]
    (repository / ".pre-commit-config.yaml").write_text(yaml.safe_dump(
        {"repos": [{"repo": str(pack), "rev": rev, "hooks": hooks}]}))
    commit_all(repository)
    env = pre_commit_env(tmp_path / "pre-commit-home")

    broken = run(PRE_COMMIT_RUN, cwd=repository, env=env)
    assert broken.returncode == 1, broken.stdout + broken.stderr
    assert "FAIL     task SG in     HOP303  task SG AppSg allows tcp/80 from AlbSg" in broken.stdout
    assert (f"hoplint: error: infra: Terraform configurations not read (infra/network): reading them takes checkov, "
            f"which is not installed") in broken.stdout

    shutil.rmtree(repository / "infra" / "network")
    shutil.copyfile(GOOD_TEMPLATE, repository / "infra" / "app.yaml")
    fixed = run(PRE_COMMIT_RUN, cwd=repository, env=env)
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    assert "hoplint explain" in fixed.stdout and "Passed" in fixed.stdout


def test_the_hoplint_hook_runs_on_terraform_and_installs_the_checkov_of_the_extra():
    hoplint_hook = hook("hoplint")
    assert all(re.search(hoplint_hook["files"], name) for name in ("infra/app.yaml", "network/main.tf", "t.json"))
    config = configparser.ConfigParser()
    config.read(REPO_ROOT / "setup.cfg")
    assert hoplint_hook["additional_dependencies"] == config["options.extras_require"]["checkov"].split()


@pytest.fixture(scope="module")
def pack(tmp_path_factory) -> tuple:
    """(a git repository of the checkout's working tree as one commit, its SHA), and a PRE_COMMIT_HOME of the
    module's: the hook environments (checkov's takes a minute or two) are installed once for its tests."""
    root = tmp_path_factory.mktemp("pack")
    return root / "hoplint", snapshot(REPO_ROOT, root / "hoplint"), root / "pre-commit-home"


def stage(repository: Path, *names: str) -> None:
    subprocess.run(["git", "add", *names], cwd=repository, check=True)


@pytest.mark.slow
def test_pre_commit_try_repo_checks_staged_terraform_and_templates(pack, tmp_path):
    """`pre-commit try-repo` of the `hoplint` hook, as published, on a repository with a broken template and a
    broken Terraform configuration staged: a change to .tf files alone runs the hook, and it judges both."""
    pack_repository, _, home = pack
    repository = tmp_path / "repository"
    repository.mkdir()
    shutil.copyfile(GOOD_TEMPLATE, repository / "app.yaml")
    commit_all(repository)
    shutil.copytree(BAD_CONFIGURATION, repository / "network")
    stage(repository, "network")
    try_repo = [sys.executable, "-m", "pre_commit", "try-repo", str(pack_repository), "hoplint", "--color=never"]

    terraform_only = run(try_repo, cwd=repository, env=pre_commit_env(home))
    assert terraform_only.returncode == 1, terraform_only.stdout + terraform_only.stderr
    assert "hoplint explain" in terraform_only.stdout and "Skipped" not in terraform_only.stdout
    assert ("FAIL     task SG in     HOP303  task SG aws_security_group.app allows tcp/80 from aws_security_group.alb"
            in terraform_only.stdout)

    shutil.copyfile(BAD_TEMPLATE, repository / "app.yaml")
    stage(repository, "app.yaml")
    both = run(try_repo, cwd=repository, env=pre_commit_env(home))
    assert both.returncode == 1, both.stdout + both.stderr
    assert "FAIL     task SG in     HOP303  task SG AppSg allows tcp/80 from AlbSg" in both.stdout
    assert "1 template, 1 configuration, 2 paths: 2 failed" in both.stdout


@pytest.mark.slow
def test_readme_pre_commit_config_pinned_as_the_readme_says(pack, tmp_path):
    """The README's .pre-commit-config.yaml, then its `pre-commit autoupdate --freeze`, with a snapshot of the
    checkout standing in for the published repository: `rev` becomes the SHA of its newest commit, which
    pre-commit runs without warning about a mutable reference."""
    pack_repository, sha, home = pack
    (config,) = [block for block in re.findall(r"^```yaml\n(.*?)^```", README.read_text(), re.S | re.M)
                 if "repos:" in block]
    repository = user_repository(tmp_path / "repository")
    (repository / ".pre-commit-config.yaml").write_text(config.replace(HOPLINT_URL, str(pack_repository)))
    commit_all(repository)
    env = pre_commit_env(home)
    (freeze,) = [command for block in readme_blocks() for command in block if PRE_COMMIT.match(command)]

    frozen = run_readme_command(freeze, repository, env, install=lambda extras: None,
                                pack_repository=str(pack_repository))
    assert frozen.process.returncode == 0, frozen.process.stdout + frozen.process.stderr
    (repo,) = yaml.safe_load((repository / ".pre-commit-config.yaml").read_text())["repos"]
    assert repo["rev"] == sha

    checked = run([*PRE_COMMIT_RUN[:4], "hoplint", *PRE_COMMIT_RUN[4:]], cwd=repository, env=env)
    assert checked.returncode == 1, checked.stdout + checked.stderr
    assert "mutable reference" not in checked.stdout + checked.stderr
    assert "1 template, 1 configuration, 2 paths: 2 failed" in checked.stdout


def test_pre_commit_cfn_lint_hook_entry_appends_the_installed_rules(pack_env, tmp_path):
    """The hook's entry, run as pre-commit runs it (installing cfn-lint in a hook environment takes minutes)."""
    cfn_lint_hook = hook("hoplint-cfn-lint")
    assert re.search(cfn_lint_hook["files"], "infra/app.yaml")
    executable, *arguments = cfn_lint_hook["entry"].split()
    assert executable == "cfn-lint" and cfn_lint_hook["additional_dependencies"][0].startswith("cfn-lint")
    repository = project(tmp_path / "repository")
    linted = run([CFN_LINT, *arguments, "infra/app.yaml"], cwd=repository, env=dict(pack_env, HOME=str(tmp_path)))
    assert linted.returncode == 2, linted.stderr
    assert linted.stdout.startswith(CFN_LINT_MATCH)


@pytest.mark.slow
def test_a_regular_install_serves_both_tools_and_every_readme_command(tmp_path):
    """`pip install .` into a fresh virtual environment (not editable): the console script, the adapters'
    installed directories for checkov and cfn-lint, and the module name for .cfnlintrc; then every README
    command from a user's repository, its `pip install` lines installing the snapshot.

    The environment sees the running interpreter's packages through a .pth file, so only the pack itself
    is installed (pip's build isolation still fetches setuptools, from its cache when it can); its checkov and
    cfn-lint are the running environment's scripts, run by the new environment's interpreter."""
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    site_packages = Path(run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                             cwd=tmp_path, env=os.environ).stdout.strip())
    (site_packages / "tools-of-the-test-run.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    for tool, script in (("checkov", CHECKOV), ("cfn-lint", CFN_LINT)):
        (venv / "bin" / tool).write_text(f'#!/bin/sh\nexec "{python}" "{script}" "$@"\n')
        (venv / "bin" / tool).chmod(0o755)
    env = {key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "PIP_REQUIRE_VIRTUALENV")}
    # The user's shell: the new environment's tools on PATH, not the running one's.
    path = os.pathsep.join(part for part in env.get("PATH", "").split(os.pathsep) if part != BIN_DIR)
    env = dict(env, HOME=str(tmp_path), PATH=os.pathsep.join((str(venv / "bin"), path)), **CHECKOV_ENV)
    # From a copy: pip builds in the source tree, and a build/ left there would go stale.
    source = tmp_path / "hoplint"
    snapshot(REPO_ROOT, source)

    def install(extras: str) -> None:
        requirement = f"hoplint[{extras}] @ {source.as_uri()}" if extras else str(source)
        installed = run([python, "-m", "pip", "install", "--quiet", "--no-deps", "--force-reinstall", requirement],
                        cwd=tmp_path, env=env)
        assert installed.returncode == 0, installed.stderr

    install("")
    hoplint = str(venv / "bin" / "hoplint")
    checks_dir = run([hoplint, "checkov-dir"], cwd=tmp_path, env=env).stdout.strip()
    rules_dir = run([hoplint, "cfn-lint-dir"], cwd=tmp_path, env=env).stdout.strip()
    installed = site_packages / "hoplint_adapters"
    assert [checks_dir, rules_dir] == [str(installed / "checkov"), str(installed / "cfn_lint")]

    repository = user_repository(tmp_path / "repository")
    assert_every_command_caught_the_broken_hop(run_readme(repository, env, install), repository)

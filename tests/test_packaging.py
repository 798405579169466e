"""How other repositories use the pack: the installed package, `.cfnlintrc` by module name, pre-commit, CI.

The installed name of the adapters, `hoplint_adapters`, exists only in an installed pack (setup.cfg maps
it to custom_checks/). Tests that run from a checkout get it from a link to custom_checks/ on PYTHONPATH;
the one slow test installs the pack for real, into a fresh virtual environment.
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

BIN_DIR = os.path.dirname(sys.executable)  # the tools of the interpreter running the tests
CFN_LINT = shutil.which("cfn-lint", path=BIN_DIR)
CHECKOV = shutil.which("checkov", path=BIN_DIR)
BAD_TEMPLATE = FIXTURES_DIR / "bad" / "HOP303-task-sg-allows-wrong-port.yaml"
GOOD_TEMPLATE = FIXTURES_DIR / "good" / "https-redirect.yaml"
# What cfn-lint and checkov say about BAD_TEMPLATE (expected.json: HOP303 FAILED on AppService, line 46).
CFN_LINT_MATCH = "E9303 service AppService (LoadBalancers[0] -> AppTargetGroup): task SG AppSg allows tcp/80"
CFN_LINT_LOCATION = "app.yaml:46:11"
CHECKOV_FAILURE = "Check: CKV_HOP_303"
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

    linted = run([CFN_LINT], cwd=repository, env=env)  # templates and rules from .cfnlintrc
    assert linted.returncode == 2, linted.stderr
    assert linted.stdout.startswith(CFN_LINT_MATCH) and f"infra/{CFN_LINT_LOCATION}" in linted.stdout

    listing = run([CFN_LINT, "--list-rules"], cwd=repository, env=env).stdout
    listed = dict(re.findall(r"^([EWI]9\d{3}): (.*)$", listing, re.MULTILINE))
    assert listed == {"I9000": "Ensure hoplint could analyse the template",
                      **{rule.cfn_lint_id: rule.title for rule in RULES.values()}}


def test_github_actions_example_uploads_what_checkov_writes():
    workflow = yaml.safe_load((REPO_ROOT / "examples" / "github-actions.yml").read_text())
    assert workflow["permissions"]["security-events"] == "write"
    steps = workflow["jobs"]["hoplint"]["steps"]
    (checkov,) = [step["run"] for step in steps if step.get("run", "").startswith("checkov ")]
    (upload,) = [step for step in steps if step.get("uses", "").startswith("github/codeql-action/upload-sarif@")]
    assert '--external-checks-dir "$(hoplint checkov-dir)"' in checkov
    assert f"--output sarif --output-file-path console,{upload['with']['sarif_file']}" in checkov
    assert upload["if"] == "${{ !cancelled() }}"  # also when checkov failed the job


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


def test_pre_commit_hook_explains_and_fails_on_a_broken_hop(tmp_path):
    """The `hoplint` hook from a consumer's .pre-commit-config.yaml, as pre-commit installs it (about 10 s)."""
    pack = tmp_path / "hoplint"
    rev = snapshot(REPO_ROOT, pack)
    repository = project(tmp_path / "repository")
    (repository / ".pre-commit-config.yaml").write_text(yaml.safe_dump(
        {"repos": [{"repo": str(pack), "rev": rev, "hooks": [{"id": "hoplint", "args": ["infra"]}]}]}))
    commit_all(repository)
    env = dict(os.environ, PRE_COMMIT_HOME=str(tmp_path / "pre-commit-home"))
    env.pop("PYTHONPATH", None)  # the hook runs the pack pre-commit installed
    pre_commit = [sys.executable, "-m", "pre_commit", "run", "--all-files", "--color=never"]

    broken = run(pre_commit, cwd=repository, env=env)
    assert broken.returncode == 1, broken.stdout + broken.stderr
    assert "FAIL     task SG in     HOP303  task SG AppSg allows tcp/80 from AlbSg" in broken.stdout

    shutil.copyfile(GOOD_TEMPLATE, repository / "infra" / "app.yaml")
    fixed = run(pre_commit, cwd=repository, env=env)
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    assert "hoplint explain" in fixed.stdout and "Passed" in fixed.stdout


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
def test_a_regular_install_serves_both_tools(tmp_path):
    """`pip install .` into a fresh virtual environment (not editable): the console script, the adapters'
    installed directories for checkov and cfn-lint, and the module name for .cfnlintrc.

    The environment sees the running interpreter's packages through a .pth file, so only the pack itself
    is installed (pip's build isolation still fetches setuptools, from its cache when it can)."""
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    site_packages = Path(run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                             cwd=tmp_path, env=os.environ).stdout.strip())
    (site_packages / "tools-of-the-test-run.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    env = {key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "PIP_REQUIRE_VIRTUALENV")}
    env = dict(env, HOME=str(tmp_path), **CHECKOV_ENV)
    # From a copy: pip builds in the source tree, and a build/ left there would go stale.
    source = tmp_path / "hoplint"
    snapshot(REPO_ROOT, source)
    install = run([python, "-m", "pip", "install", "--quiet", "--no-deps", str(source)], cwd=tmp_path, env=env)
    assert install.returncode == 0, install.stderr
    hoplint = str(venv / "bin" / "hoplint")
    checks_dir = run([hoplint, "checkov-dir"], cwd=tmp_path, env=env).stdout.strip()
    rules_dir = run([hoplint, "cfn-lint-dir"], cwd=tmp_path, env=env).stdout.strip()
    installed = site_packages / "hoplint_adapters"
    assert [checks_dir, rules_dir] == [str(installed / "checkov"), str(installed / "cfn_lint")]

    repository = project(tmp_path / "repository")
    explained = run([hoplint, "explain", "infra"], cwd=repository, env=env)
    assert explained.returncode == 1 and "FAIL     task SG in" in explained.stdout
    # The tools' scripts, run by the new environment's interpreter: they import the installed pack.
    checkov = run([python, CHECKOV, "--skip-download", "--framework", "cloudformation", "--compact", "-d", "infra",
                   "--external-checks-dir", checks_dir, "--check", "CKV_HOP_*"], cwd=repository, env=env)
    assert checkov.returncode == 1 and CHECKOV_FAILURE in checkov.stdout, checkov.stdout + checkov.stderr
    for rules in (rules_dir, "hoplint_adapters.cfn_lint"):
        linted = run([python, CFN_LINT, "--append-rules", rules, "--", "infra/app.yaml"], cwd=repository, env=env)
        assert linted.returncode == 2 and linted.stdout.startswith(CFN_LINT_MATCH), linted.stdout + linted.stderr

"""The rule docs: one per catalog rule, in ruff's layout, naming the rule's ids, with examples that hold together.

Each section "## Example" and "## How to fix" shows CloudFormation first, then Terraform in a "### Terraform"
subsection. The Terraform examples are judged the way the checkov adapter judges a directory: through the graph
checkov's own Terraform runner renders, built once for every doc's example and fixed example together.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from policies import Verdict, analyze_document, analyze_file
from policies.catalog import RULES
from policies.cloudformation.loader import load_template_text
from policies.terraform_analysis import analyze_terraform_roots
from terraform_fixtures import graph_resources

DOCS_DIR = Path(__file__).resolve().parent.parent / "docs" / "rules"
INDEX = DOCS_DIR / "README.md"
SECTIONS = ("## What it does", "## Why it matters", "## Example", "## How to fix", "## Suppressing")

YAML_BLOCK = re.compile(r"^```yaml\n(.*?)^```", re.S | re.M)
HCL_BLOCK = re.compile(r"^```hcl\n(.*?)^```", re.S | re.M)
TERRAFORM = "### Terraform"
RESOURCE_HEADER = re.compile(r'^resource "(\w+)" "(\w+)" \{$', re.M)
CHECKOV_ID = re.compile(r"\bCKV_HOP_\d{3}\b")
CFN_LINT_ID = re.compile(r"\b[EWI]9\d{3}\b")
CFN_LINT_MATCH = re.compile(r"^([EWI]9\d{3}) (.*)\ntemplate\.yaml:(\d+):(\d+)$", re.M)
# cfn-lint ids a rule's doc names besides its own: the one it had before its severity changed.
FORMER_CFN_LINT_IDS = {"HOP206": {"W9206"}}
CHECKOV_DETAILS = re.compile(r"^\tDetails: (.*)$", re.M)
CHECKOV_RECORD = re.compile(
    r'^Check: (\S+): "(.*)"\n\tFAILED for resource: (\S+)\.(\w+)\n(?:\t(?!File:).*\n)*\tFile: /template\.yaml:(\d+)-(\d+)$',
    re.M,
)
CHECKOV_TERRAFORM_RECORD = re.compile(
    r'^Check: (\S+): "(.*)"\n\tFAILED for resource: (\w+)\.(\w+)\n(?:\t(?!File:).*\n)*\tFile: /main\.tf:(\d+)-(\d+)$',
    re.M,
)


def load_snippet(snippet: str) -> dict:
    """A snippet read the way the engine reads templates (short-form tags, line numbers)."""
    document, _, problem = load_template_text(snippet.encode(), "template.yaml")
    assert problem is None, problem
    return document


def doc_text(rule_id: str) -> str:
    path = DOCS_DIR / f"{rule_id}.md"
    assert path.is_file(), f"missing {path}"
    return path.read_text(encoding="utf-8")


def section(text: str, heading: str) -> str:
    """The body of one `## ` section."""
    body = text.split(heading + "\n", 1)[1]
    return body.split("\n## ", 1)[0]


def split_terraform(body: str) -> tuple:
    """(CloudFormation part, Terraform part) of a section body; the Terraform part is its "### Terraform" subsection."""
    cloudformation, _, terraform = body.partition(f"\n{TERRAFORM}\n")
    return cloudformation, terraform


def terraform_snippets(text: str, heading: str) -> list:
    """The ```hcl blocks of the Terraform part of one section; none if the doc lacks the section."""
    return HCL_BLOCK.findall(split_terraform(section(text, heading))[1]) if f"\n{heading}\n" in text else []


def hcl_resources(configuration: str) -> dict:
    """(type, name) -> (start, end) offsets of each `resource "type" "name" {` block; its end by counting braces."""
    spans = {}
    for header in RESOURCE_HEADER.finditer(configuration):
        depth = 0
        for end in range(header.end() - 1, len(configuration)):
            depth += {"{": 1, "}": -1}.get(configuration[end], 0)
            if depth == 0:
                break
        assert depth == 0, f"resource {header.group(1)}.{header.group(2)} is not closed"
        spans[header.groups()] = (header.start(), end + 1)
    return spans


def with_fix(configuration: str, fix: str) -> str:
    """The configuration with each resource block of the fix replacing the block of that type and name, or added."""
    for key, (start, end) in hcl_resources(fix).items():
        spans = hcl_resources(configuration)
        if key in spans:
            configuration = configuration[: spans[key][0]] + fix[start:end] + configuration[spans[key][1] :]
        else:
            configuration = f"{configuration.rstrip()}\n\n{fix[start:end]}\n"
    return configuration


@pytest.fixture(scope="module")
def terraform_analyses(tmp_path_factory) -> dict:
    """"HOPnnn/example" and "HOPnnn/fixed" -> the Analysis of that doc's Terraform example, and of the example with
    the fix applied, each written as main.tf of its own root module. checkov renders all of them in one graph."""
    root = tmp_path_factory.mktemp("terraform_docs").resolve()
    for rule_id in RULES:
        path = DOCS_DIR / f"{rule_id}.md"
        text = path.read_text(encoding="utf-8") if path.is_file() else ""
        examples = terraform_snippets(text, "## Example")
        if not examples:
            continue  # test_terraform_example_output_is_what_the_pack_says_on_its_configuration says so
        fixed = examples[0]
        for fix in terraform_snippets(text, "## How to fix"):
            fixed = with_fix(fixed, fix)
        for name, configuration in (("example", examples[0]), ("fixed", fixed)):
            (root / rule_id / name).mkdir(parents=True)
            (root / rule_id / name / "main.tf").write_text(configuration)
    # graph_resources takes a directory under fixtures/terraform; an absolute path joins to itself.
    analyses = analyze_terraform_roots(graph_resources(str(root)))
    return {Path(directory).relative_to(root).as_posix(): analysis for directory, analysis in analyses.items()}


def resource_spans(snippet: str) -> dict:
    """Logical id -> (first line, last non-blank line) of each resource, 1-based, as checkov reports them."""
    lines = snippet.splitlines()
    starts = {
        match.group(1): number
        for number, line in enumerate(lines, start=1)
        if (match := re.match(r"^  (\w+):\s*$", line))
    }
    bounds = sorted(starts.values()) + [len(lines) + 1]
    spans = {}
    for logical_id, start in starts.items():
        end = bounds[bounds.index(start) + 1] - 1
        while not lines[end - 1].strip():
            end -= 1
        spans[logical_id] = (start, end)
    return spans


@pytest.mark.parametrize("rule", RULES.values(), ids=lambda rule: rule.id)
def test_doc_has_title_sections_and_ids(rule):
    text = doc_text(rule.id)

    assert text.splitlines()[0] == f"# {rule.id}: {rule.title}"
    positions = [text.find(f"\n{heading}\n") for heading in SECTIONS]
    assert -1 not in positions, f"{rule.id}: missing one of {SECTIONS}"
    assert positions == sorted(positions), f"{rule.id}: sections out of order"
    assert f"| Severity | {rule.severity} |" in text
    assert f"| checkov id | `{rule.checkov_id}` |" in text
    assert f"| cfn-lint id | `{rule.cfn_lint_id}` |" in text
    # Catches docs copied from another rule and half edited.
    assert set(CHECKOV_ID.findall(text)) == {rule.checkov_id}
    assert set(CFN_LINT_ID.findall(text)) - FORMER_CFN_LINT_IDS.get(rule.id, set()) == {rule.cfn_lint_id}


def test_every_doc_is_a_catalog_rule():
    documented = {path.stem for path in DOCS_DIR.glob("*.md") if path != INDEX}
    assert documented == set(RULES)


@pytest.mark.parametrize("rule", RULES.values(), ids=lambda rule: rule.id)
def test_yaml_snippets_parse_as_templates(rule):
    text = doc_text(rule.id)
    for heading in ("## Example", "## How to fix", "## Suppressing"):
        snippets = YAML_BLOCK.findall(section(text, heading))
        assert snippets, f"{rule.id}: no yaml snippet under {heading}"
        for snippet in snippets:
            template = load_snippet(snippet)
            for logical_id, resource in template["Resources"].items():
                assert str(resource.get("Type", "")).startswith("AWS::"), f"{rule.id}: {logical_id} has no Type"


@pytest.mark.parametrize("rule", RULES.values(), ids=lambda rule: rule.id)
def test_example_output_is_what_the_pack_says_on_its_snippet(rule, tmp_path):
    example = split_terraform(section(doc_text(rule.id), "## Example"))[0]
    snippet = YAML_BLOCK.findall(example)[0]
    lines = snippet.splitlines()
    resources = load_snippet(snippet)["Resources"]
    template = tmp_path / "template.yaml"
    template.write_text(snippet)
    failed = {
        (finding.message, finding.line)
        for finding in analyze_file(str(template)).for_rule(rule.id)
        if finding.verdict is Verdict.FAILED
    }

    matches = CFN_LINT_MATCH.findall(example)
    assert matches, f"{rule.id}: no cfn-lint output"
    for rule_id, message, line, column in matches:
        assert rule_id == rule.cfn_lint_id
        assert (message, int(line)) in failed, f"{rule.id}: the engine says {failed}"
        assert re.match(r"\w+:", lines[int(line) - 1][int(column) - 1 :]), f"{rule.id}: {line}:{column} is no property"

    # checkov reports a failure on the resource that holds what cfn-lint underlines.
    record = CHECKOV_RECORD.search(example)
    assert record, f"{rule.id}: no checkov record"
    checkov_id, title, resource_type, logical_id, first, last = record.groups()
    assert (checkov_id, title) == (rule.checkov_id, rule.title)
    assert resources[logical_id]["Type"] == resource_type
    assert resource_spans(snippet)[logical_id] == (int(first), int(last))
    assert all(int(first) <= int(line) <= int(last) for _, _, line, _ in matches), f"{rule.id}: not where cfn-lint is"
    assert set(CHECKOV_DETAILS.findall(example)) <= {message for message, _ in failed}


@pytest.mark.parametrize("rule", RULES.values(), ids=lambda rule: rule.id)
def test_how_to_fix_makes_the_example_pass(rule):
    text = doc_text(rule.id)
    template = load_snippet(YAML_BLOCK.findall(section(text, "## Example"))[0])
    for fix in YAML_BLOCK.findall(section(text, "## How to fix")):
        template["Resources"].update(load_snippet(fix)["Resources"])
    verdicts = {finding.verdict for finding in analyze_document(template, f"{rule.id} fixed").for_rule(rule.id)}
    # Some fixes make the rule pass, others make it not apply (HOP212: health-check the traffic port).
    assert Verdict.FAILED not in verdicts


def test_index_lists_every_rule_with_its_ids():
    rows = [
        [cell.strip() for cell in line.strip("|").split("|")]
        for line in INDEX.read_text(encoding="utf-8").splitlines()
        if re.match(r"^\| HOP\d{3} \|", line)
    ]
    expected = [
        [r.id, r.checkov_id, r.cfn_lint_id, r.severity, r.title, f"[{r.id}]({r.id}.md)"] for r in RULES.values()
    ]
    assert rows == expected


@pytest.mark.parametrize("rule", RULES.values(), ids=lambda rule: rule.id)
def test_terraform_example_output_is_what_the_pack_says_on_its_configuration(rule, terraform_analyses):
    example = split_terraform(section(doc_text(rule.id), "## Example"))[1]
    configurations = HCL_BLOCK.findall(example)
    assert len(configurations) == 1, f"{rule.id}: no single hcl configuration under {TERRAFORM} in ## Example"
    configuration = configurations[0]
    analysis = terraform_analyses.get(f"{rule.id}/example")
    assert analysis is not None, f"{rule.id}: checkov renders no resource of the Terraform example"
    assert analysis.problems == []
    # checkov reports a failure on the resource to fix: the address that leads the finding's path.
    failed = {(f.path[0], f.message) for f in analysis.for_rule(rule.id) if f.verdict is Verdict.FAILED}

    record = CHECKOV_TERRAFORM_RECORD.search(example)
    assert record, f"{rule.id}: no checkov record for main.tf"
    checkov_id, title, resource_type, name, first, last = record.groups()
    assert (checkov_id, title) == (rule.checkov_id, rule.title)
    start, end = hcl_resources(configuration)[(resource_type, name)]
    assert (configuration.count("\n", 0, start) + 1, configuration.count("\n", 0, end) + 1) == (int(first), int(last))
    (details,) = CHECKOV_DETAILS.findall(example)
    assert (f"{resource_type}.{name}", details) in failed, f"{rule.id}: the engine says {failed}"


@pytest.mark.parametrize("rule", RULES.values(), ids=lambda rule: rule.id)
def test_terraform_fix_makes_the_example_pass(rule, terraform_analyses):
    fixes = terraform_snippets(doc_text(rule.id), "## How to fix")
    assert fixes, f"{rule.id}: no hcl snippet under {TERRAFORM} in ## How to fix"
    assert all(hcl_resources(fix) for fix in fixes), f"{rule.id}: a fix without resource blocks"
    analysis = terraform_analyses.get(f"{rule.id}/fixed")
    assert analysis is not None, f"{rule.id}: checkov renders no resource of the fixed Terraform example"
    assert analysis.problems == []
    assert Verdict.FAILED not in {finding.verdict for finding in analysis.for_rule(rule.id)}


@pytest.mark.parametrize("rule", RULES.values(), ids=lambda rule: rule.id)
def test_terraform_skip_comment_sits_in_the_reported_resource_or_the_one_judged(rule, terraform_analyses):
    """Where a skip works (policies.suppressions): the resource checkov reports, or the one the verdict is about."""
    text = doc_text(rule.id)
    reported = CHECKOV_TERRAFORM_RECORD.search(split_terraform(section(text, "## Example"))[1])
    assert reported, f"{rule.id}: no checkov record for main.tf"
    judged = {f.resource for f in terraform_analyses[f"{rule.id}/example"].for_rule(rule.id)
              if f.verdict is Verdict.FAILED}
    skips = [snippet for snippet in HCL_BLOCK.findall(section(text, "## Suppressing"))
             if f"  #checkov:skip={rule.checkov_id}:" in snippet]
    assert skips, f"{rule.id}: no Terraform skip comment under ## Suppressing"
    for skip in skips:
        header = RESOURCE_HEADER.match(skip)
        assert header and (header.groups() == reported.group(3, 4) or ".".join(header.groups()) in judged), \
            f"{rule.id}: skip outside {reported.group(3, 4)} and {judged}"

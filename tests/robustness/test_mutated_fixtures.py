"""Hypothesis mutates the fixtures; the engine must stay total, bounded and honest on every mutant.

Oracles that need no expected output:
- garbage can only take proofs away: a hop FAILED or UNKNOWN on a fixture (same rule, resource and hop)
  is never PASSED once garbage is put anywhere in it. (Garbage may move a verdict elsewhere: a task
  definition's RequiresCompatibilities garbled, HOP208 judges its Fargate service instead; that proof
  stands on its own. tests/robustness/test_hostile_templates.py pins down such cases one by one.);
- removing or garbling security group rules can only close gates;
- wrapping a value in an intrinsic function that returns it unchanged changes no verdict;
- whatever the mutation, no exception (the engine reports an internal error as a problem: there is
  none), and every value reported unreadable says where it is.
"""

from __future__ import annotations

import copy

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import hostile
from policies import Verdict, analyze_document

DOCUMENTS = hostile.fixture_documents()
GATE_RULES = {"HOP101", "HOP301", "HOP302", "HOP303", "HOP304"}  # security groups letting a hop through
# Bounded time per mutant, generously: analysing a fixture takes milliseconds.
MUTANTS = settings(max_examples=400, deadline=2000, suppress_health_check=[HealthCheck.too_slow])


def paths_under(node, prefix: tuple) -> list:
    """A path below `prefix` in `node` to each mapping value and list item, parents before children.

    A mapping or list met again (shared, or containing itself) is not walked again.
    """
    found, pending, walked = [], [(prefix, node)], set()
    while pending:
        path, value = pending.pop()
        if id(value) in walked:
            continue
        walked.add(id(value))
        children = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
        for key, child in children:
            found.append(path + (key,))
            pending.append((path + (key,), child))
    return found


def resource_paths(document: dict) -> list:
    return paths_under(document["Resources"], ("Resources",))


def verdicts(document: dict) -> dict:
    """(rule, resource, hop) -> verdict; and checks what must hold for any input."""
    with hostile.deadline(10):
        analysis = analyze_document(document, "mutant")
    assert not [problem for problem in analysis.problems if "could not analyse" in problem], analysis.problems
    for finding in analysis.findings:
        for value in finding.unreadable:
            assert value.path[:1] == ("Resources",), (finding.message, value)  # each is malformed
    # HOP207's hop names the container, which garbage may rename; its path says which port mapping it is.
    return {(f.rule_id, f.resource, f.path if f.rule_id == "HOP207" else f.hop): f.verdict for f in analysis.findings}


def passed(found: dict, rules=None) -> set:
    return {key for key, verdict in found.items() if verdict is Verdict.PASSED and (rules is None or key[0] in rules)}


def get_at(document, path: tuple):
    for step in path:
        document = document[step]
    return document


def parent_of(document, path: tuple):
    """The mapping or list holding `path`, or None when an earlier mutation took the path away."""
    try:
        parent = get_at(document, path[:-1])
        parent[path[-1]]  # noqa: B018 - the path must still exist
    except (KeyError, IndexError, TypeError):
        return None
    return parent if isinstance(parent, (dict, list)) else None


def with_values(document: dict, changes: list) -> dict:
    """`document` with each (path, value) of `changes` applied in turn (a path gone by then is skipped)."""
    changed = copy.deepcopy(document)
    for path, value in changes:
        parent = parent_of(changed, path)
        if parent is not None:
            parent[path[-1]] = copy.deepcopy(value)
    return changed


@st.composite
def garbled(draw) -> tuple:
    fixture = draw(st.sampled_from(sorted(DOCUMENTS)))
    document = DOCUMENTS[fixture]
    changes = []
    for path in draw(st.lists(st.sampled_from(resource_paths(document)), min_size=1, max_size=3)):
        changes.append((path, draw(st.sampled_from(hostile.garbage_for(get_at(document, path))))))
    return fixture, with_values(document, changes)


@settings(MUTANTS)
@given(garbled())
def test_garbage_never_turns_a_failed_or_unknown_verdict_into_passed(mutant):
    fixture, document = mutant
    before = verdicts(DOCUMENTS[fixture])
    proved = {key for key in passed(verdicts(document)) if before.get(key) in (Verdict.FAILED, Verdict.UNKNOWN)}
    assert not proved, proved


def security_group_rule_paths(document: dict) -> tuple:
    """(inline rules, which can be removed; fields of inline and standalone rules, which can be garbled)."""
    inline, fields = [], []
    for resource_id, resource in document["Resources"].items():
        properties = resource.get("Properties", {})
        if resource["Type"] == "AWS::EC2::SecurityGroup":
            for direction in ("SecurityGroupIngress", "SecurityGroupEgress"):
                rules = properties.get(direction, [])
                for index, rule in enumerate(rules if isinstance(rules, list) else ()):
                    path = ("Resources", resource_id, "Properties", direction, index)
                    inline.append(path)
                    fields += [path + (name,) for name in rule]
        elif resource["Type"] in ("AWS::EC2::SecurityGroupIngress", "AWS::EC2::SecurityGroupEgress"):
            fields += [("Resources", resource_id, "Properties", name) for name in properties]
    return inline, fields


WITH_SECURITY_GROUP_RULES = sorted(fixture for fixture in DOCUMENTS if security_group_rule_paths(DOCUMENTS[fixture])[1])


@st.composite
def security_groups_taken_apart(draw) -> tuple:
    fixture = draw(st.sampled_from(WITH_SECURITY_GROUP_RULES))
    inline, fields = security_group_rule_paths(DOCUMENTS[fixture])
    garbage = [(path, draw(st.sampled_from(hostile.garbage_for(get_at(DOCUMENTS[fixture], path)))))
               for path in draw(st.lists(st.sampled_from(fields), max_size=3))]
    document = with_values(DOCUMENTS[fixture], garbage)
    removed = draw(st.lists(st.sampled_from(inline), unique=True, max_size=3)) if inline else []
    for path in sorted(removed, reverse=True):  # last first, so that each index still names its rule
        parent = parent_of(document, path)
        if parent is not None:
            del parent[path[-1]]
    return fixture, document


@settings(MUTANTS)
@given(security_groups_taken_apart())
def test_removing_or_garbling_security_group_rules_never_opens_a_gate(mutant):
    fixture, document = mutant
    opened = passed(verdicts(document), GATE_RULES) - passed(verdicts(DOCUMENTS[fixture]), GATE_RULES)
    assert not opened, opened


def wrappable_paths(document: dict) -> list:
    """Property values outside any intrinsic function's arguments (some of which must be literals)."""
    def in_function(step) -> bool:
        return isinstance(step, str) and (step.startswith("Fn::") or step in ("Ref", "Condition"))

    return [path for path in resource_paths(document)
            if len(path) > 3 and path[2] == "Properties" and not any(map(in_function, path))]


def identity_wrappers(value) -> list:
    """Intrinsic functions that give back `value` itself."""
    wrappers = [{"Fn::Select": [0, [value]]}, {"Fn::Select": ["0", [value]]}]
    if isinstance(value, str):
        wrappers += [{"Fn::Join": ["", [value]]}, {"Fn::Sub": ["${Value}", {"Value": value}]}]
    return wrappers


@st.composite
def wrapped(draw) -> tuple:
    fixture = draw(st.sampled_from(sorted(DOCUMENTS)))
    document = copy.deepcopy(DOCUMENTS[fixture])
    for path in draw(st.lists(st.sampled_from(wrappable_paths(document)), min_size=1, max_size=3)):
        parent = parent_of(document, path)  # None when an earlier wrapping moved it inside a function
        if parent is not None:
            parent[path[-1]] = draw(st.sampled_from(identity_wrappers(parent[path[-1]])))
    return fixture, document


@settings(MUTANTS)
@given(wrapped())
def test_intrinsics_that_return_their_argument_change_no_verdict(mutant):
    fixture, document = mutant
    assert verdicts(document) == verdicts(DOCUMENTS[fixture])


# JSON-like values, intrinsic-looking mappings included, nested a few levels.
ANY_VALUE = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats(allow_nan=True) | st.text(max_size=12)
    | st.sampled_from(["tcp", "-1", "0.0.0.0/0", "awsvpc", "forward", "AppSg", "${AWS::Region}", "{{resolve:x}}"]),
    lambda children: st.lists(children, max_size=3)
    | st.dictionaries(st.sampled_from(["Ref", "Fn::If", "Fn::GetAtt", "Fn::Sub", "Fn::Select", "Fn::Join",
                                       "Fn::FindInMap", "Fn::Split", "Fn::Cidr", "Fn::Equals", "Condition",
                                       "Type", "Properties", "FromPort", "x"]), children, max_size=2),
    max_leaves=8,
)


@st.composite
def restructured(draw) -> dict:
    document = copy.deepcopy(DOCUMENTS[draw(st.sampled_from(sorted(DOCUMENTS)))])
    for _ in range(draw(st.integers(1, 4))):
        paths = paths_under(document, ())
        path = draw(st.sampled_from(paths))
        parent = get_at(document, path[:-1])
        action = draw(st.sampled_from(["delete", "replace", "move", "share"]))
        if action == "delete":
            del parent[path[-1]]
        elif action == "replace":
            parent[path[-1]] = draw(ANY_VALUE)
        else:  # another part of the template here: copied, or the same object twice (as a YAML alias makes)
            other = get_at(document, draw(st.sampled_from(paths)))
            parent[path[-1]] = copy.deepcopy(other) if action == "move" else other
    return document


@settings(MUTANTS)
@given(restructured())
def test_any_restructuring_is_analysed_or_refused_without_an_error(document):
    verdicts(document)

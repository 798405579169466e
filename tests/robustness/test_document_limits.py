"""The document guard's two measures agree: a template without shared mappings or lists is measured in one
pass as a tree, any other by the general measure that counts a shared container wherever it is reached."""

from __future__ import annotations

import pytest

from policies.document_limits import MAX_NESTING, MAX_VALUES, _graph_problem, document_problem


def nested(levels: int) -> dict:
    document: dict = {"Leaf": 1}
    for _ in range(levels - 1):
        document = {"Inner": document}
    return document


def shared(times: int, values: int) -> dict:
    """One list of `values` scalars reached `times` times (as YAML aliases make it)."""
    block = list(range(values))
    return {"Resources": {f"R{index}": {"Properties": block} for index in range(times)}}


TREES = {
    "small": {"Resources": {"A": {"Type": "AWS::EC2::SecurityGroup", "Properties": {"Tags": [{"Key": "k"}]}}}},
    "as deep as allowed": nested(MAX_NESTING),
    "one level too deep": nested(MAX_NESTING + 1),
    "as large as allowed": {"Values": list(range(MAX_VALUES - 2))},
    "one value too many": {"Values": list(range(MAX_VALUES - 1))},
}


@pytest.mark.parametrize("name", TREES)
def test_a_tree_is_judged_as_the_general_measure_judges_it(name: str) -> None:
    assert document_problem(TREES[name]) == _graph_problem(TREES[name])


def test_the_limits_are_where_they_say() -> None:
    assert document_problem(TREES["as deep as allowed"]) is None
    assert "nests more than" in document_problem(TREES["one level too deep"])
    assert document_problem(TREES["as large as allowed"]) is None
    assert "more than 250000 values" in document_problem(TREES["one value too many"])


def test_shared_containers_count_wherever_they_are_reached() -> None:
    assert document_problem(shared(2, 1000)) is None
    # 300 references to one list of 1,000 values: small as an object graph, 300,000 values once expanded.
    assert "more than 250000 values" in document_problem(shared(300, 1000))


def test_a_container_inside_itself_is_refused() -> None:
    cyclic: dict = {"Resources": {}}
    cyclic["Resources"]["Self"] = cyclic
    assert "contains it" in document_problem(cyclic)


def test_scalars_are_no_documents_to_refuse() -> None:
    assert document_problem("text") is None

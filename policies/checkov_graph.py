"""The vertices and edges of a checkov graph object, for the readers of either language, without importing
checkov: rustworkx (checkov's default) or networkx (CHECKOV_GRAPH_FRAMEWORK=NETWORKX), told apart by duck
typing. Its own room so that a run over CloudFormation imports none of the Terraform reader."""

from __future__ import annotations

from typing import Any


def graph_vertices_and_edges(graph: Any) -> tuple:
    """(vertices as (index, attribute dict) pairs, edges as (source, target, label or {"label": ...}))."""
    if hasattr(graph, "weighted_edge_list"):
        return graph.nodes(), graph.weighted_edge_list()
    return graph.nodes(data=True), graph.edges(data=True)

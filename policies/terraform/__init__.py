"""Terraform: configurations (through checkov's rendered graph) and plans, judged by the same rules.

Both readers produce plain resource dicts (format in resources.py); the engine builds the same
normalized topology as for CloudFormation from them. Nothing here imports checkov.

    reading = read_graph(*graph_vertices_and_edges(graph))  # checkov's graph (policies.checkov_graph), in the adapter
    resources = load_plan_file("tfplan.json")               # `terraform show -json`

policies.terraform_analysis judges what they read.
"""

from policies.terraform.graph import GraphReading, read_graph, resources_from_graph
from policies.terraform.plan import PlanError, load_plan_file, resources_from_plan

__all__ = [
    "GraphReading",
    "PlanError",
    "load_plan_file",
    "read_graph",
    "resources_from_graph",
    "resources_from_plan",
]

"""Terraform: configurations (through checkov's rendered graph) and plans, judged by the same rules.

Both readers produce plain resource dicts (format in resources.py); the engine builds the same
normalized topology as for CloudFormation from them. Nothing here imports checkov.

    resources = resources_from_graph(graph.nodes(), graph.weighted_edge_list())   # checkov adapter
    analysis = analyze_terraform(resources, source="infra/")
    analysis = analyze_terraform_plan_file("tfplan.json")                         # `terraform show -json`
"""

from policies.terraform.analyze import analyze_terraform
from policies.terraform.graph import resources_from_graph

__all__ = ["analyze_terraform", "resources_from_graph"]

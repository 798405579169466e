"""The engine on Terraform: every fixture against fixtures/terraform/expected.json, and the Terraform
semantics and checkov rendering traps one by one.

Fixture tests build the engine's input the way the checkov adapter does, from the graph checkov's own
Terraform runner renders (in this process); the unit tests feed hand-written resource dicts or vertex
dicts, without checkov.
"""

from __future__ import annotations

import ast
import copy
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from checkov_runs import CHECKOV_ENV
from oracle import proves_the_main_path
from policies import RULES, Verdict
from policies.terraform import read_graph, resources_from_graph, resources_from_plan
from policies.terraform_analysis import analyze_terraform, analyze_terraform_plan_file, analyze_terraform_roots
from policies.terraform.container_definitions import read_container_definitions
from policies.terraform.expressions import interpret
from policies.terraform.topology_builder import build_topology
from policies.values import ResourceRef, Unknown
from terraform_fixtures import (
    FIXTURES_DIR,
    REPO_ROOT,
    configuration_fixtures,
    expected_findings,
    fixtures_graph,
    graph_resources,
    load_expected,
    plan_fixtures,
)


def analyze_fixture(fixture: str):
    if fixture.startswith("plan/"):
        return analyze_terraform_plan_file(str(FIXTURES_DIR / fixture))
    return analyze_terraform(list(graph_resources(fixture)), fixture)


def not_passed(analysis) -> list:
    return sorted((f.rule_id, f.verdict.value, f.resource)
                  for f in analysis.findings if f.verdict is not Verdict.PASSED)


def explain(analysis) -> str:
    return "\n".join(f"{f.verdict.value} {f.rule_id} {f.resource}: {f.message}" for f in analysis.findings
                     if f.verdict is not Verdict.PASSED)


# -- the fixtures against the oracle ----------------------------------------------------------------


def test_oracle_names_every_fixture_and_nothing_else():
    assert sorted(load_expected()) == sorted(configuration_fixtures() + plan_fixtures())


def test_every_rule_has_a_bad_fixture_named_after_it():
    bad = [name for name in load_expected() if name.startswith("bad/")]
    for rule_id in RULES:
        assert any(name.startswith(f"bad/{rule_id}-") for name in bad), rule_id
    assert "bad/HOP301-no-egress-block" in bad


@pytest.mark.parametrize("fixture", configuration_fixtures() + plan_fixtures())
def test_failed_and_unknown_findings_are_exactly_the_expected_ones(fixture):
    analysis = analyze_fixture(fixture)
    assert analysis.problems == []
    assert not_passed(analysis) == expected_findings(fixture), explain(analysis)


@pytest.mark.parametrize("fixture", [name for name in load_expected()
                                     if name.startswith("bad/") or name == "plan/bad.json"])
def test_a_bad_fixture_breaks_the_rule_its_name_says(fixture):
    failed = {f.rule_id for f in analyze_fixture(fixture).findings if f.verdict is Verdict.FAILED}
    assert failed == {fixture.split("/")[1].split("-")[0]} if fixture.startswith("bad/") else {"HOP303"}


@pytest.mark.parametrize("fixture", [name for name in load_expected() if name.startswith(("good/", "plan/good"))])
def test_a_good_fixture_proves_every_hop_of_the_main_path(fixture):
    passed = {f.rule_id for f in analyze_fixture(fixture).findings if f.verdict is Verdict.PASSED}
    assert proves_the_main_path(passed), sorted(passed)


def test_unknown_fixtures_never_fail():
    for fixture in (name for name in load_expected() if name.startswith("unknown/")):
        analysis = analyze_fixture(fixture)
        assert [f for f in analysis.findings if f.verdict is Verdict.FAILED] == [], fixture
        assert any(f.verdict is Verdict.UNKNOWN for f in analysis.findings), fixture


def test_one_graph_of_every_root_module_judges_each_root_on_its_own():
    """`checkov -d fixtures/terraform` renders one graph in which every fixture holds aws_ecs_service.app."""
    analyses = analyze_terraform_roots(graph_resources(""))
    by_fixture = {Path(root).relative_to(FIXTURES_DIR).as_posix(): analysis for root, analysis in analyses.items()}
    assert sorted(by_fixture) == configuration_fixtures()
    for fixture, analysis in by_fixture.items():
        assert not_passed(analysis) == expected_findings(fixture), fixture


def findings_by_fixture(reading) -> dict:
    analyses = analyze_terraform_roots(reading.resources, reading.problems)
    return {Path(root).relative_to(FIXTURES_DIR).as_posix(): sorted(
        (f.rule_id, f.verdict.value, f.resource, f.message, f.path) for f in analysis.findings)
        for root, analysis in analyses.items()}


def test_where_checkovs_rendering_is_complete_hoplints_evaluation_agrees_with_it():
    """hoplint evaluates a root module itself only where checkov's rendering is incomplete; elsewhere both
    readers give the same findings, every message and path included."""
    vertices, edges = fixtures_graph()
    chosen = read_graph(vertices, edges)
    evaluated = findings_by_fixture(read_graph(vertices, edges, evaluate=True))
    rendered = findings_by_fixture(read_graph(vertices, edges, evaluate=False))
    complete = [fixture for fixture in configuration_fixtures() if str(FIXTURES_DIR / fixture) not in chosen.evaluated]
    assert {fixture: evaluated[fixture] for fixture in complete} == {fixture: rendered[fixture] for fixture in complete}
    # Which fixtures checkov renders completely: not those calling modules, nor dynamic blocks, nor text checkov
    # left unevaluated; plain ones are.
    assert "good/plain-http" in complete and "unknown/variable-without-default" in complete
    assert not {"good/local-module", "good/dynamic-ingress-blocks", "good/terraform-aws-modules-alb-ecs",
                "good/container-definitions-template-file-data"} & set(complete)


def test_findings_name_terraform_addresses_types_and_attribute_paths():
    analysis = analyze_fixture("bad/HOP303-task-sg-allows-wrong-port")
    (finding,) = [f for f in analysis.findings if f.verdict is Verdict.FAILED]
    assert (finding.resource, finding.resource_type, finding.line) == ("aws_ecs_service.app", "aws_ecs_service", None)
    assert finding.path == ("aws_vpc_security_group_ingress_rule.app_from_alb", "from_port")
    module = analyze_fixture("good/local-module")
    assert {f.resource for f in module.findings if f.rule_id == "HOP303"} == {"module.billing.aws_ecs_service.this"}


def test_the_engine_imports_neither_checkov_nor_cfn_lint_but_its_conditions_solver():
    for path in (REPO_ROOT / "policies").rglob("*.py"):
        tree = ast.parse(path.read_text())
        imported = [alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names]
        imported += [node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)]
        tools = [name for name in imported if name.split(".")[0] in ("checkov", "cfnlint")]
        solver = path == REPO_ROOT / "policies" / "application" / "scenarios.py"
        assert tools == (["cfnlint.conditions.conditions"] if solver else []), path


def test_module_rendering_does_not_depend_on_the_hash_seed():
    """checkov substitutes module variables in an order that changes with PYTHONHASHSEED: here seed 0
    leaves "var.name" in module.billing's jsonencode and seed 2 does not. The extraction fills it in."""
    script = ("import json, sys; sys.path.insert(0, 'tests'); from terraform_fixtures import graph_resources; "
              "from policies.terraform_analysis import analyze_terraform; "
              "findings = analyze_terraform(list(graph_resources('good/local-module')), 'm').findings; "
              "print(json.dumps(sorted((f.rule_id, f.verdict.value, f.resource, f.message) for f in findings)))")
    outputs = []
    for seed in ("0", "2"):
        env = dict(os.environ, **CHECKOV_ENV, PYTHONHASHSEED=seed,
                   PYTHONPATH=os.pathsep.join(filter(None, (str(REPO_ROOT), os.environ.get("PYTHONPATH")))))
        process = subprocess.run([sys.executable, "-c", script], cwd=REPO_ROOT, env=env, capture_output=True,
                                 text=True, timeout=300, check=True)
        outputs.append(json.loads(process.stdout.strip().splitlines()[-1]))
    assert outputs[0] == outputs[1]
    assert {verdict for _, verdict, _, _ in outputs[0]} == {"PASSED"}


# -- Terraform semantics, on hand-written resource dicts ----------------------------------------------


def resource(address: str, **attributes) -> dict:
    return {"address": address, "type": address.split(".")[-2].split("[")[0] if "." in address else address,
            "attributes": attributes, "file": None, "start_line": None, "end_line": None}


def web_stack(alb_sg: dict | None = None, app_sg: dict | None = None, *extra: dict, **service) -> list:
    """A Fargate service on 8080 behind an internet-facing ALB on 80, every hop open unless overridden."""
    return [
        resource("aws_security_group.alb", **(alb_sg if alb_sg is not None else {
            "ingress": {"from_port": 80, "to_port": 80, "protocol": "tcp", "cidr_blocks": ["0.0.0.0/0"]},
            "egress": {"from_port": 8080, "to_port": 8080, "protocol": "tcp",
                       "security_groups": ["aws_security_group.app.id"]}})),
        resource("aws_security_group.app", **(app_sg if app_sg is not None else {
            "ingress": {"from_port": 8080, "to_port": 8080, "protocol": "tcp",
                        "security_groups": ["aws_security_group.alb.id"]}})),
        resource("aws_lb.web", security_groups=["aws_security_group.alb.id"]),
        resource("aws_lb_target_group.app", port=8080, protocol="HTTP", target_type="ip"),
        resource("aws_lb_listener.http", load_balancer_arn="aws_lb.web.arn", port=80, protocol="HTTP",
                 default_action={"type": "forward", "target_group_arn": "aws_lb_target_group.app.arn"}),
        resource("aws_ecs_task_definition.app", network_mode="awsvpc", requires_compatibilities=["FARGATE"],
                 container_definitions=[{"name": "app", "portMappings": [{"containerPort": 8080}]}]),
        resource("aws_ecs_service.app", **dict({
            "launch_type": "FARGATE", "task_definition": "aws_ecs_task_definition.app.arn",
            "network_configuration": {"security_groups": ["aws_security_group.app.id"]},
            "load_balancer": {"target_group_arn": "aws_lb_target_group.app.arn", "container_name": "app",
                              "container_port": 8080}}, **service)),
        *extra,
    ]


def verdicts(resources: list, rule_id: str) -> set:
    return {f.verdict for f in analyze_terraform(resources, "test").findings if f.rule_id == rule_id}


def test_the_web_stack_is_open():
    analysis = analyze_terraform(web_stack(), "test")
    assert not_passed(analysis) == [], explain(analysis)
    assert proves_the_main_path({f.rule_id for f in analysis.findings if f.verdict is Verdict.PASSED})


def test_a_group_without_egress_blocks_has_no_egress():
    alb_sg = {"ingress": {"from_port": 80, "to_port": 80, "protocol": "tcp", "cidr_blocks": ["0.0.0.0/0"]}}
    assert verdicts(web_stack(alb_sg), "HOP301") == {Verdict.FAILED}


@pytest.mark.parametrize("egress_rule", [
    resource("aws_security_group_rule.out", type="egress", security_group_id="aws_security_group.alb.id",
             protocol="-1", from_port=0, to_port=0, cidr_blocks=["0.0.0.0/0"]),
    resource("aws_security_group_rule.out", type="egress", security_group_id="aws_security_group.alb.id",
             protocol="6", from_port=8000, to_port=8099, source_security_group_id="aws_security_group.app.id"),
    resource("aws_vpc_security_group_egress_rule.out", security_group_id="aws_security_group.alb.id",
             ip_protocol="-1", cidr_ipv4="0.0.0.0/0"),
    resource("aws_vpc_security_group_egress_rule.out", security_group_id="aws_security_group.alb.id",
             ip_protocol="tcp", from_port=8080, to_port=8080, referenced_security_group_id="aws_security_group.app.id"),
])
def test_a_standalone_egress_rule_opens_a_group_without_egress_blocks(egress_rule):
    alb_sg = {"ingress": {"from_port": 80, "to_port": 80, "protocol": "tcp", "cidr_blocks": ["0.0.0.0/0"]}}
    assert verdicts(web_stack(alb_sg, None, egress_rule), "HOP301") == {Verdict.PASSED}


def test_a_rule_with_several_peers_is_one_permission_per_peer():
    app_sg = {"ingress": {"from_port": 8080, "to_port": 8080, "protocol": "tcp", "cidr_blocks": ["10.0.0.0/8"],
                          "ipv6_cidr_blocks": ["::/0"], "security_groups": ["aws_security_group.alb.id"],
                          "self": True}}
    group = build_topology(web_stack(None, app_sg)).security_groups["aws_security_group.app"]
    assert [(rule.peer.kind, str(rule.peer.value)) for rule in group.ingress] == [
        ("cidr", "10.0.0.0/8"), ("cidr", "::/0"), ("sg", "aws_security_group.alb"), ("sg", "aws_security_group.app")]
    assert group.ingress[1].peer.path == ("aws_security_group.app", "ingress", 0, "ipv6_cidr_blocks", 0)
    assert verdicts(web_stack(None, app_sg), "HOP306") == {Verdict.FAILED}


def test_self_admits_the_group_itself_only():
    app_sg = {"ingress": {"from_port": 0, "to_port": 0, "protocol": "-1", "self": True}}
    assert verdicts(web_stack(None, app_sg), "HOP303") == {Verdict.FAILED}


@pytest.mark.parametrize("protocol, expected", [("-1", "all"), ("all", "all"), ("6", "tcp"), ("TCP", "tcp"),
                                                ("17", "udp")])
def test_protocols_are_normalized(protocol, expected):
    app_sg = {"ingress": {"from_port": 8080, "to_port": 8080, "protocol": protocol,
                          "security_groups": ["aws_security_group.alb.id"]}}
    (rule,) = build_topology(web_stack(None, app_sg)).security_groups["aws_security_group.app"].ingress
    assert rule.protocol == expected


def test_provider_defaults_apply():
    topology = build_topology([
        resource("aws_lb.web"),
        resource("aws_lb_target_group.app", port=80, protocol="HTTP"),
        resource("aws_lb_listener.http", load_balancer_arn="aws_lb.web.arn", port=80),
    ])
    balancer, group = topology.load_balancers["aws_lb.web"], topology.target_groups["aws_lb_target_group.app"]
    assert (balancer.type.value, balancer.scheme.value, balancer.security_groups) == (
        "application", "internet-facing", None)
    assert (group.target_type.value, group.health_check_protocol.value, group.health_check_port.value) == (
        "instance", "HTTP", "traffic-port")
    assert topology.listeners["aws_lb_listener.http"].protocol.value == "HTTP"


def test_forward_blocks_forward_and_redirects_do_not():
    topology = build_topology(web_stack() + [
        resource("aws_lb_target_group.blue", port=8080, protocol="HTTP"),
        resource("aws_lb_listener.https", load_balancer_arn="aws_lb.web.arn", port=443, protocol="HTTPS",
                 default_action={"type": "forward", "forward": {"target_group": [
                     {"arn": "aws_lb_target_group.app.arn", "weight": 90},
                     {"arn": "aws_lb_target_group.blue.arn", "weight": 10}]}}),
        resource("aws_lb_listener.redirect", load_balancer_arn="aws_lb.web.arn", port=8000,
                 default_action={"type": "redirect", "redirect": {"port": "443"}}),
        resource("aws_alb_listener_rule.api", listener_arn="aws_lb_listener.http.arn",
                 action=[{"type": "forward", "target_group_arn": "aws_lb_target_group.blue.arn"}]),
    ])
    assert sorted((f.listener, f.target_group) for f in topology.forwards) == [
        ("aws_lb_listener.http", "aws_lb_target_group.app"), ("aws_lb_listener.http", "aws_lb_target_group.blue"),
        ("aws_lb_listener.https", "aws_lb_target_group.app"), ("aws_lb_listener.https", "aws_lb_target_group.blue")]


@pytest.mark.parametrize("value, reason", [
    ("var.port", "var.port (no default, no tfvars)"),
    ("data.aws_ssm_parameter.port.value", "data.aws_ssm_parameter.port.value (a data source, read at plan time)"),
    ("module.net.port", "module.net.port (a module output that was not rendered)"),
    ("local.port", "local.port (not rendered)"),
    ('lookup(var.ports, "app")', '\'lookup(var.ports, "app")\' (an expression that was not evaluated)'),
    ({"__unknown__": "data.x (a data source, read at plan time)"}, "data.x (a data source, read at plan time)"),
])
def test_unrendered_values_are_unknown_never_failed(value, reason):
    assert interpret(value, set()) == Unknown(reason)
    stack = web_stack(None, {"ingress": {"from_port": value, "to_port": value, "protocol": "tcp",
                                         "security_groups": ["aws_security_group.alb.id"]}})
    assert verdicts(stack, "HOP303") == {Verdict.UNKNOWN}


def test_references_resolve_to_resources_of_the_configuration():
    addresses = {"aws_security_group.alb", "module.app.aws_security_group.this", 'aws_subnet.a["x"]'}
    assert interpret("aws_security_group.alb.id", addresses) == ResourceRef("aws_security_group.alb", "id")
    assert interpret("${module.app.aws_security_group.this.id}", addresses) == ResourceRef(
        "module.app.aws_security_group.this", "id")
    assert interpret('aws_subnet.a["x"].cidr_block', addresses) == ResourceRef('aws_subnet.a["x"]', "cidr_block")
    assert isinstance(interpret("aws_security_group.gone.id", addresses), Unknown)
    assert interpret("0.0.0.0/0", addresses) == "0.0.0.0/0"


def test_security_groups_outside_the_configuration_are_unknown():
    stack = web_stack(None, None, security_groups=None)
    stack[2] = resource("aws_lb.web", security_groups=["sg-0123456789abcdef0"])
    assert verdicts(stack, "HOP101") == {Verdict.UNKNOWN}


def test_subnet_cidrs_are_read_through_references_and_cidrsubnet():
    stack = web_stack(None, {"ingress": {"from_port": 8080, "to_port": 8080, "protocol": "tcp",
                                         "cidr_blocks": ["aws_vpc.main.cidr_block"]}}) + [
        resource("aws_vpc.main", cidr_block="10.1.0.0/16"),
        resource("aws_subnet.public", cidr_block="cidrsubnet(10.1.0.0/16,8,1)"),
    ]
    stack[2] = resource("aws_lb.web", security_groups=["aws_security_group.alb.id"], subnets=["aws_subnet.public.id"])
    topology = build_topology(stack)
    assert [str(network) for network in topology.load_balancers["aws_lb.web"].addresses] == ["10.1.1.0/24"]
    assert verdicts(stack, "HOP303") == {Verdict.PASSED}


def test_a_scalar_stands_for_a_one_element_list():
    """checkov renders a one-element list from terraform.tfvars as its element."""
    stack = web_stack(None, None, network_configuration={"security_groups": "aws_security_group.app.id"})
    assert build_topology(stack).services["aws_ecs_service.app"].security_groups.known == ("aws_security_group.app",)


def test_an_empty_security_groups_list_means_the_default_group():
    stack = web_stack(None, None, network_configuration={"security_groups": []})
    assert verdicts(stack, "HOP305") == {Verdict.FAILED}


@pytest.mark.parametrize("task_definition", [
    "aws_ecs_task_definition.app.arn", "web-app", "web-app:${aws_ecs_task_definition.app.revision}",
    "${aws_ecs_task_definition.app.family}:${max(aws_ecs_task_definition.app.revision, 3)}",
])
def test_the_task_definition_is_found_however_the_service_names_it(task_definition):
    stack = web_stack(task_definition=task_definition)
    stack[5]["attributes"]["family"] = "web-app"
    assert build_topology(stack).services["aws_ecs_service.app"].task_definition == "aws_ecs_task_definition.app"


def container_instances_of(fixture: str, launch: str, attributes: dict, auto_scaling_group: dict):
    """The container instances of the fixture's service, with `attributes` set on its `launch` template or
    configuration and `auto_scaling_group` as the Auto Scaling group's attributes naming it."""
    resources = copy.deepcopy(list(graph_resources(fixture)))
    for resource in resources:
        if resource["address"] == launch:
            resource["attributes"].update(attributes)
        if resource["address"] == "aws_autoscaling_group.ecs":
            resource["attributes"] = {key: value for key, value in resource["attributes"].items()
                                      if key not in ("launch_template", "launch_configuration")}
            resource["attributes"].update(auto_scaling_group)
    return build_topology(resources).services["aws_ecs_service.app"].container_instances


LAUNCH_CONFIGURATION, LAUNCH_TEMPLATE = "aws_launch_configuration.ecs", "aws_launch_template.ecs"


# checkov renders `aws_launch_template.ecs.name` as the name it is given, when it is given one.
@pytest.mark.parametrize("fixture, launch, auto_scaling_group", [
    ("good/ec2-bridge-launch-configuration", LAUNCH_CONFIGURATION, {"launch_configuration": "web-ecs-instances"}),
    ("good/ec2-bridge-dynamic-host-ports", LAUNCH_TEMPLATE, {"launch_template": {"name": "web-ecs-instances"}}),
    ("good/ec2-bridge-dynamic-host-ports", LAUNCH_TEMPLATE, {"mixed_instances_policy": {"launch_template": {
        "launch_template_specification": {"launch_template_name": "web-ecs-instances"}}}}),
])
def test_the_launch_template_or_configuration_is_found_by_its_name(fixture, launch, auto_scaling_group):
    (instances,) = container_instances_of(fixture, launch, {"name": "web-ecs-instances"}, auto_scaling_group)
    assert instances.security_groups.known == ("aws_security_group.instances",)


def test_an_auto_scaling_group_naming_no_launch_template_or_configuration_is_unknown():
    instances = container_instances_of("good/ec2-bridge-dynamic-host-ports", LAUNCH_TEMPLATE, {}, {})
    assert instances == Unknown("Auto Scaling group aws_autoscaling_group.ecs names no launch template or "
                                "configuration")


def test_a_capacity_provider_outside_the_configuration_leaves_the_others_judged():
    """Tasks run on every provider of the strategy: the one that can be followed is judged, the other is a doubt."""
    resources = copy.deepcopy(list(graph_resources("good/ec2-bridge-dynamic-host-ports")))
    service = next(resource for resource in resources if resource["address"] == "aws_ecs_service.app")
    service["attributes"]["capacity_provider_strategy"] = [{"capacity_provider": "web-ec2", "weight": 1},
                                                           {"capacity_provider": "spot-fleet", "weight": 1}]
    instances, doubt = build_topology(resources).services["aws_ecs_service.app"].container_instances
    assert instances.auto_scaling_group == "aws_autoscaling_group.ecs"
    assert isinstance(doubt, Unknown) and "spot-fleet" in doubt.reason
    analysis = analyze_terraform(resources, "main.tf")
    assert sorted(finding.verdict.value for finding in analysis.for_resource("HOP503", "aws_ecs_service.app")) == [
        "PASSED", "UNKNOWN"]


@pytest.mark.parametrize("second, doubt", [
    ({"capacity_provider": "spot-fleet"}, False),  # weight 0 by default beside another: no task is placed there
    ({"capacity_provider": "spot-fleet", "weight": 0, "base": 1}, True),  # its base tasks run there
])
def test_a_capacity_provider_of_weight_zero_beside_another_places_no_tasks(second, doubt):
    resources = copy.deepcopy(list(graph_resources("good/ec2-bridge-dynamic-host-ports")))
    service = next(resource for resource in resources if resource["address"] == "aws_ecs_service.app")
    service["attributes"]["capacity_provider_strategy"] = [{"capacity_provider": "web-ec2", "weight": 1}, second]
    fleets = build_topology(resources).services["aws_ecs_service.app"].container_instances
    assert [isinstance(fleet, Unknown) for fleet in fleets] == ([False, True] if doubt else [False])


def test_a_reference_left_null_is_unknown_and_says_nothing_is_named():
    stack = web_stack()
    stack[4]["attributes"]["load_balancer_arn"] = None
    listener = build_topology(stack).listeners["aws_lb_listener.http"]
    assert listener.load_balancer == Unknown("no load balancer named")


@pytest.mark.parametrize("fixture, rule_id, message", [
    ("bad/HOP206-target-group-port-differs", "HOP206",
     "target group aws_lb_target_group.app of service aws_ecs_service.app (load_balancer[0] -> "
     "aws_lb_target_group.app): port is 80, but the service registers targets on container_port 8080"),
    ("bad/HOP207-host-port-differs", "HOP207",
     "task definition aws_ecs_task_definition.app (awsvpc), container app: hostPort 80 differs from containerPort "
     "8080; under awsvpc the host port is the container port"),
    ("bad/HOP305-service-without-security-groups", "HOP305",
     "service aws_ecs_service.app (awsvpc) names no security_groups, so its tasks get the VPC default security group"),
    ("bad/HOP305-service-without-security-groups", "HOP306",
     "service aws_ecs_service.app (load_balancer[0] -> aws_lb_target_group.app): the service uses the VPC default "
     "security group, whose rules are not in the configuration"),
])
def test_messages_name_arguments_as_terraform_spells_them(fixture, rule_id, message):
    assert message in [f.message for f in analyze_fixture(fixture).for_rule(rule_id)]


def test_findings_carry_the_attribute_path_inside_the_resource_to_fix():
    app_sg = {"ingress": [{"from_port": 22, "to_port": 22, "protocol": "tcp", "cidr_blocks": ["10.0.0.0/8"]},
                          {"from_port": 80, "to_port": 80, "protocol": "tcp",
                           "security_groups": ["aws_security_group.alb.id"]}]}
    (finding,) = [f for f in analyze_terraform(web_stack(None, app_sg), "t").findings if f.rule_id == "HOP303"]
    assert (finding.verdict, finding.path) == (Verdict.FAILED, ("aws_security_group.app", "ingress", 1, "from_port"))
    stack = web_stack()
    stack[2] = resource("aws_lb.web")
    (finding,) = [f for f in analyze_terraform(stack, "t").findings if f.rule_id == "HOP101"]
    assert (finding.verdict, finding.path) == (Verdict.FAILED, ("aws_lb.web",))


def test_malformed_entries_are_problems_not_exceptions():
    analysis = analyze_terraform(web_stack() + [{"address": 3}, "junk"], "t")
    assert len(analysis.problems) == 2
    assert not_passed(analysis) == []


# -- container definitions ---------------------------------------------------------------------------


def test_container_definitions_as_json_text_list_file_and_template(tmp_path):
    config = tmp_path / "main.tf"
    config.write_text("")
    (tmp_path / "containers.json").write_text('[{"name": "app", "portMappings": [{"containerPort": 80}]}]')
    (tmp_path / "containers.tpl").write_text('[{"name": "${name}", "portMappings": [{"containerPort": ${port}}]}]')
    expected = [{"name": "app", "portMappings": [{"containerPort": 80}]}]
    read = lambda value: read_container_definitions(value, str(config), in_root_module=True)  # noqa: E731
    assert read(expected) == expected
    assert read(json.dumps(expected)) == expected
    assert read('${file("${path.module}/containers.json")}') == expected
    assert read('file("./containers.json")') == expected
    assert read("templatefile(\"${path.module}/containers.tpl\",{'name': app, 'port': 80})") == expected
    assert isinstance(read('${templatefile("${path.module}/containers.tpl",{\'name\': var.name})}'), Unknown)


def test_container_definition_files_outside_the_configuration_are_not_read(tmp_path):
    inner = tmp_path / "infra"
    inner.mkdir()
    (tmp_path / "secret.json").write_text('[{"name": "leak"}]')
    value = read_container_definitions('${file("${path.module}/../secret.json")}', str(inner / "main.tf"), True)
    assert isinstance(value, Unknown) and "only files next to the configuration" in value.reason
    assert isinstance(read_container_definitions('${file("/etc/passwd")}', str(inner / "main.tf"), True), Unknown)
    in_module = read_container_definitions('${file("${path.root}/c.json")}', str(inner / "main.tf"), False)
    assert isinstance(in_module, Unknown)


def test_unreadable_container_definitions_are_unknown_never_failed():
    stack = web_stack()
    stack[5]["attributes"]["container_definitions"] = "jsonencode(local.containers)"
    assert verdicts(stack, "HOP204") == {Verdict.UNKNOWN}
    assert verdicts(stack, "HOP205") == set()


# -- checkov's rendered graph -> resource dicts ------------------------------------------------------


def vertex(address: str, block_type: str = "resource", **attributes) -> dict:
    local = address.split(".", 2)[-1] if address.startswith("module.") else address
    return {"__address__": address, "block_type_": block_type, "block_name_": local,
            "resource_type": address.split(".")[-2].split("[")[0] if block_type == "resource" else block_type,
            "file_path_": "/repo/main.tf", "__start_line__": 1, "__end_line__": 9, "hash": "x", **attributes}


def extract(vertices: list, edges: list = ()) -> dict:
    return {r["address"]: r["attributes"] for r in resources_from_graph(list(enumerate(vertices)), edges)}


def test_checkov_bookkeeping_is_dropped_and_self_renamed_back():
    (attributes,) = extract([vertex("aws_security_group_rule.self", self_=True, type="ingress",
                                    **{"security_group_id.0": "x", "config_": {}, "label_": "l"})]).values()
    assert attributes == {"self": True, "type": "ingress"}


def test_resources_with_count_zero_or_empty_for_each_are_left_out():
    resources = extract([vertex("aws_security_group.zero", count=0), vertex("aws_security_group.none", for_each=[]),
                         vertex("aws_security_group.one", count=1)])
    assert list(resources) == ["aws_security_group.one"]


def test_data_source_values_and_unset_list_variables_become_unknown():
    crumbs = {"ingress.security_groups.0": [{"type": "data", "name": "aws_security_group.shared"}],
              "subnets": [{"type": "variable", "name": "subnet_ids"}]}
    resources = extract([
        vertex("aws_security_group.alb", ingress={"security_groups": ["sg-0123"]}, rendering_breadcrumbs_=crumbs),
        vertex("aws_lb.web", subnets=[], rendering_breadcrumbs_=crumbs),
        vertex("subnet_ids", block_type="variable", type="list(string)"),
    ])
    assert resources["aws_security_group.alb"]["ingress"]["security_groups"] == [
        {"__unknown__": "data.aws_security_group.shared (a data source, read at plan time)"}]
    assert resources["aws_lb.web"]["subnets"] == {"__unknown__": "var.subnet_ids (no default, no tfvars)"}


def test_dynamic_blocks_are_unknown():
    resources = extract([vertex("aws_security_group.app", ingress={"from_port": "ingress.value"},
                                dynamic={"ingress": {"for_each": [80], "content": {}}})])
    assert resources["aws_security_group.app"] == {
        "ingress": {"__unknown__": 'dynamic "ingress" blocks (not evaluated)'}}


def test_references_become_absolute_through_edges_scopes_and_instance_keys():
    vertices = [
        vertex("aws_security_group.alb"),                                                   # 0
        vertex("module.app.aws_security_group.this"),                                       # 1
        vertex("module.app.aws_ecs_service.this", network_configuration={                   # 2
            "security_groups": ["aws_security_group.this.id", "aws_security_group.alb.id"]}),
        vertex("aws_lb.web", security_groups=["aws_security_group.this.id"]),               # 3: via a module output
        {"block_type_": "output", "block_name_": "sg", "value": "aws_security_group.this.id"},  # 4
        vertex("aws_security_group.web[0]"), vertex("aws_security_group.web[1]"),            # 5, 6
        vertex("aws_lb.each[1]", security_groups=["aws_security_group.web[count.index].id"]),  # 7
        vertex("aws_lb.all", security_groups="aws_security_group.web[*].id"),                # 8
    ]
    edges = [(3, 4, {"label": "security_groups"}), (4, 1, {"label": "value"}),
             (7, 5, {"label": "security_groups"})]  # checkov points every instance at instance 0
    resources = extract(vertices, edges)
    assert resources["module.app.aws_ecs_service.this"]["network_configuration"]["security_groups"] == [
        "module.app.aws_security_group.this.id", "aws_security_group.alb.id"]
    assert resources["aws_lb.web"]["security_groups"] == ["module.app.aws_security_group.this.id"]
    assert resources["aws_lb.each[1]"]["security_groups"] == ["aws_security_group.web[1].id"]
    assert resources["aws_lb.all"]["security_groups"] == [
        "aws_security_group.web[0].id", "aws_security_group.web[1].id"]


def test_module_variables_checkov_left_unrendered_are_filled_from_the_variable_vertex():
    resources = extract([
        vertex("module.app.aws_ecs_service.this", load_balancer={"container_name": "var.name",
                                                                   "container_port": "${var.port}"},
               name="svc-${var.name}", cluster="var.cluster"),
        vertex("module.app.name", block_type="variable", default="billing"),
        vertex("module.app.port", block_type="variable", default=9000),
        vertex("module.app.cluster", block_type="variable", default="var.cluster"),  # the caller's own leftover
    ])
    service = resources["module.app.aws_ecs_service.this"]
    assert service["load_balancer"] == {"container_name": "billing", "container_port": 9000}
    assert (service["name"], service["cluster"]) == ("svc-billing", "var.cluster")


# -- plans ------------------------------------------------------------------------------------------


def test_plan_unknown_ids_are_rebuilt_from_configuration_references_through_modules():
    resources = {r["address"]: r["attributes"] for r in resources_from_plan(
        json.loads((FIXTURES_DIR / "plan/good.json").read_text()), "good.json")}
    rule = resources["module.billing.aws_vpc_security_group_ingress_rule.from_alb"]
    assert rule["referenced_security_group_id"] == "aws_security_group.alb.id"  # var -> module call -> root
    egress = resources["aws_vpc_security_group_egress_rule.alb_to_billing"]
    assert egress["referenced_security_group_id"] == "module.billing.aws_security_group.this.id"  # module output
    assert resources["aws_lb.billing"]["security_groups"] == ["aws_security_group.alb.id"]
    assert "egress" not in resources["aws_security_group.alb"]  # unknown, not configured: none


def test_plan_known_ids_point_back_at_their_resources_but_names_do_not():
    resources = {r["address"]: r["attributes"] for r in resources_from_plan(
        json.loads((FIXTURES_DIR / "plan/bad.json").read_text()), "bad.json")}
    assert resources["aws_lb.web"]["security_groups"] == ["aws_security_group.alb.id"]
    assert resources["aws_ecs_service.app"]["task_definition"] == "aws_ecs_task_definition.app.arn"
    # The task definition's id is its family "web-app", which is also the service's and a group's name.
    assert resources["aws_ecs_service.app"]["name"] == "web-app"


def test_plan_state_copies_of_standalone_rules_are_not_judged():
    """An existing group's computed `ingress` still holds the old 8080 permission of the standalone rule the
    plan changes to 80: judging it would prove a hop the plan breaks."""
    resources = resources_from_plan(json.loads((FIXTURES_DIR / "plan/bad.json").read_text()), "bad.json")
    app = next(r for r in resources if r["address"] == "aws_security_group.app")
    assert "ingress" not in app["attributes"]


def test_plan_without_egress_configured_has_no_egress():
    plan = json.loads((FIXTURES_DIR / "plan/good.json").read_text())
    plan["planned_values"]["root_module"]["resources"] = [
        r for r in plan["planned_values"]["root_module"]["resources"]
        if r["address"] != "aws_vpc_security_group_egress_rule.alb_to_billing"]
    findings = analyze_terraform(resources_from_plan(plan, "p.json"), "p.json").findings
    assert {f.verdict for f in findings if f.rule_id == "HOP301"} == {Verdict.FAILED}


@pytest.mark.parametrize("content", [b"", b"{", b"[]", b'{"format_version": "1.2"}', b"\xff\xfe"])
def test_unreadable_plans_are_problems(tmp_path, content):
    path = tmp_path / "plan.json"
    path.write_bytes(content)
    analysis = analyze_terraform_plan_file(str(path))
    assert analysis.findings == [] and len(analysis.problems) == 1
    assert analyze_terraform_plan_file(str(Path(tmp_path / "missing.json"))).problems

"""hoplint's own evaluation of Terraform configurations (policies/terraform/hcl), where checkov's rendering is
incomplete: the HCL syntax it reads, and Terraform's semantics on small configurations, without checkov.

Each configuration is written to a temporary directory (modules in subdirectories) and evaluated into resource
dicts as read_graph does for a root module checkov could not render completely.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from policies import Verdict
from policies.terraform_analysis import analyze_terraform
from policies.terraform.hcl import syntax
from policies.terraform.hcl.evaluation import MAX_INSTANCES, ConfigurationFiles, evaluate_configuration
from policies.terraform.resources import UNKNOWN_KEY


def configuration(root: Path, files: dict, modules: dict | None = None) -> list:
    """Evaluate `files` (name -> text) in `root`; `modules` maps a chain of module call names to a directory
    relative to root, as checkov's graph tells read_graph where each module is."""
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    directories = {(): str(root), **{chain: str(root / directory) for chain, directory in (modules or {}).items()}}
    by_directory: dict = {}
    for path in root.rglob("*"):
        if path.suffix in (".tf", ".tfvars"):
            by_directory.setdefault(str(path.parent), []).append(str(path))
    return evaluate_configuration(ConfigurationFiles(str(root), directories, by_directory))


def by_address(resources: list) -> dict:
    return {resource["address"]: resource["attributes"] for resource in resources}


def unknown(value) -> str | None:
    return value.get(UNKNOWN_KEY) if isinstance(value, dict) else None


# -- syntax -------------------------------------------------------------------------------------------


def shape(node) -> object:
    """A node as nested tuples, to compare parse trees."""
    if isinstance(node, syntax.Literal):
        return node.value
    if isinstance(node, syntax.Variable):
        return node.name
    if isinstance(node, syntax.GetAttr):
        return (".", shape(node.target), node.name)
    if isinstance(node, syntax.Index):
        return ("[]", shape(node.target), shape(node.key))
    if isinstance(node, syntax.Binary):
        return (node.operator, shape(node.left), shape(node.right))
    if isinstance(node, syntax.Unary):
        return (node.operator, shape(node.operand))
    if isinstance(node, syntax.Conditional):
        return ("?", shape(node.condition), shape(node.then), shape(node.otherwise))
    if isinstance(node, syntax.Call):
        return (node.name, *map(shape, node.arguments))
    if isinstance(node, syntax.Template):
        return ("template", *[part if isinstance(part, str) else shape(part) for part in node.parts])
    if isinstance(node, syntax.Interpolation):
        return ("${}", shape(node.expression))
    return type(node).__name__


@pytest.mark.parametrize("text, expected", [
    ("a || b && c == d + e * f", ("||", "a", ("&&", "b", ("==", "c", ("+", "d", ("*", "e", "f")))))),
    ("!var.x && y ? 1 : 2", ("?", ("&&", ("!", (".", "var", "x")), "y"), 1, 2)),
    ("a - -1", ("-", "a", ("-", 1))),
    ("x.0.y[\"k\"]", ("[]", (".", ("[]", "x", 0), "y"), ("template", "k"))),
    ('"a-${b}${"c"}"', ("template", "a-", ("${}", "b"), ("${}", ("template", "c")))),
    ('"$${not} %%{this}"', ("template", "${not} %{this}")),
    ('"tab\\there \\u00e9"', ("template", "tab\there é")),
])
def test_expressions_parse_with_terraforms_precedence(text, expected):
    assert shape(syntax.parse_expression(text, "test")) == expected


def test_templates_have_directives_strip_markers_and_indented_heredocs():
    body = syntax.parse_file(textwrap.dedent('''\
        a = <<-EOT
            %{ for x in xs ~}
            ${x}
            %{~ endfor }
            %{ if y }yes%{ else }no%{ endif }
          EOT
        '''), "test.tf")
    (part_for, between, part_if, end) = body.attributes["a"].expression.parts
    assert (type(part_for).__name__, type(part_if).__name__, between, end) == ("TemplateFor", "TemplateIf", "\n", "\n")
    assert [shape(part) for part in part_for.body] == [("${}", "x")]  # the ~ stripped the newlines around it
    assert (part_if.then, part_if.otherwise) == (["yes"], ["no"])


@pytest.mark.parametrize("text, problem", [
    ('resource "aws_lb" "x" {\n', "a block is not closed"),
    ('a = "unclosed\n', "a string is not closed on its line"),
    ("a = 1\na = 2\n", "argument 'a' is given twice"),
    ("a = " + "[" * 200 + "]" * 200 + "\n", f"nested deeper than {syntax.MAX_NESTING} levels"),
    ('a = "' + '${"' * 200 + "x" + '"}' * 200 + '"\n', f"nested deeper than {syntax.MAX_NESTING} levels"),
])
def test_text_that_is_not_hcl_is_a_syntax_problem_never_an_exception(text, problem):
    with pytest.raises(syntax.SyntaxProblem, match=problem):
        syntax.parse_file(text, "test.tf")


# -- Terraform's semantics ----------------------------------------------------------------------------


def test_for_each_over_a_map_of_objects_with_each_key_and_value_and_keyed_references(tmp_path):
    resources = by_address(configuration(tmp_path, {"main.tf": '''
        variable "groups" {
          type = map(object({ port = number, protocol = optional(string, "HTTP") }))
          default = { api = { port = 8080 }, admin = { port = 9090, protocol = "HTTPS" } }
        }
        resource "aws_lb_target_group" "this" {
          for_each = var.groups
          name     = each.key
          port     = each.value.port
          protocol = each.value.protocol
        }
        resource "aws_lb_listener" "api" {
          default_action {
            type             = "forward"
            target_group_arn = aws_lb_target_group.this["api"].arn
          }
          port = aws_lb_target_group.this["admin"].port
        }
        '''}))
    assert resources['aws_lb_target_group.this["admin"]'] == {"name": "admin", "port": 9090, "protocol": "HTTPS"}
    assert resources['aws_lb_target_group.this["api"]']["protocol"] == "HTTP"  # optional() default
    listener = resources["aws_lb_listener.api"]
    assert listener["default_action"] == [
        {"type": "forward", "target_group_arn": 'aws_lb_target_group.this["api"].arn'}]
    assert listener["port"] == 9090  # a configured argument is known; an id or ARN only after apply


def test_count_index_sets_of_strings_splats_and_count_zero(tmp_path):
    resources = by_address(configuration(tmp_path, {"main.tf": '''
        resource "aws_subnet" "private" {
          count      = 2
          cidr_block = cidrsubnet("10.0.0.0/16", 8, count.index + 10)
        }
        resource "aws_security_group" "per_team" {
          for_each = toset(["b", "a", "a"])
          name     = "team-${each.value}"
        }
        resource "aws_lb" "web" {
          subnets         = aws_subnet.private[*].id
          security_groups = [for group in aws_security_group.per_team : group.id]
        }
        resource "aws_lb" "never" {
          count = 0
        }
        resource "aws_lb" "nothing" {
          for_each = {}
        }
        '''}))
    assert resources["aws_subnet.private[1]"] == {"cidr_block": "10.0.11.0/24"}
    assert resources['aws_security_group.per_team["a"]'] == {"name": "team-a"}
    assert resources["aws_lb.web"] == {
        "subnets": ["aws_subnet.private[0].id", "aws_subnet.private[1].id"],
        "security_groups": ['aws_security_group.per_team["a"].id', 'aws_security_group.per_team["b"].id']}
    assert not [address for address in resources if "never" in address or "nothing" in address]


def test_dynamic_blocks_expand_with_their_iterator_and_nest(tmp_path):
    resources = by_address(configuration(tmp_path, {"main.tf": '''
        locals {
          rules = [{ port = 80, cidrs = ["0.0.0.0/0"] }, { port = 443, cidrs = ["10.0.0.0/8", "::/0"] }]
        }
        resource "aws_security_group" "alb" {
          ingress {
            from_port = 22
            to_port   = 22
            protocol  = "tcp"
          }
          dynamic "ingress" {
            for_each = local.rules
            iterator = rule
            content {
              from_port   = rule.value.port
              to_port     = rule.value.port
              protocol    = "tcp"
              cidr_blocks = [for cidr in rule.value.cidrs : cidr if !strcontains(cidr, ":")]
            }
          }
        }
        resource "aws_lb_listener" "http" {
          dynamic "default_action" {
            for_each = [{ groups = ["a", "b"] }]
            content {
              type = "forward"
              forward {
                dynamic "target_group" {
                  for_each = default_action.value.groups
                  content {
                    arn    = "arn:${target_group.value}"
                    weight = target_group.key
                  }
                }
              }
            }
          }
        }
        '''}))
    ingress = resources["aws_security_group.alb"]["ingress"]
    assert [(rule["from_port"], rule.get("cidr_blocks")) for rule in ingress] == [
        (22, None), (80, ["0.0.0.0/0"]), (443, ["10.0.0.0/8"])]
    (action,) = resources["aws_lb_listener.http"]["default_action"]
    assert action["forward"] == [{"target_group": [{"arn": "arn:a", "weight": 0}, {"arn": "arn:b", "weight": 1}]}]


def test_functions_the_registry_modules_build_network_settings_with(tmp_path):
    resources = by_address(configuration(tmp_path, {"main.tf": '''
        variable "extra" {
          type    = list(string)
          default = ["sg-0123456789abcdef0"]
        }
        variable "rules" {
          type    = any
          default = { web = { from_port = 8080 } }
        }
        resource "aws_security_group" "this" {
          count = 1
        }
        resource "aws_ecs_service" "app" {
          network_configuration {
            security_groups = flatten(concat([try(aws_security_group.this[0].id, [])], var.extra))
            subnets         = compact(["subnet-a", "", null])
          }
          name            = coalesce(null, "", "app")
          desired_count   = lookup(var.rules.web, "count", 2)
          launch_type     = one(["FARGATE"])
          task_definition = element(["first", "second"], 3)
          tags            = merge({ a = "1" }, { b = "2" }, { a = "3" })
          propagate_tags  = jsonencode({ z = [1, true], a = null })
          health_check_grace_period_seconds = try(var.rules.missing.port, var.rules.web.from_port)
        }
        '''}))
    assert resources["aws_ecs_service.app"] == {
        "network_configuration": [{"security_groups": ["aws_security_group.this[0].id", "sg-0123456789abcdef0"],
                                   "subnets": ["subnet-a"]}],
        "name": "app", "desired_count": 2, "launch_type": "FARGATE", "task_definition": "second",
        "tags": {"a": "3", "b": "2"}, "propagate_tags": '{"a":null,"z":[1,true]}',
        "health_check_grace_period_seconds": 8080}


def test_modules_take_inputs_with_defaults_and_types_and_give_outputs(tmp_path):
    resources = by_address(configuration(tmp_path, {
        "main.tf": '''
            module "alb" {
              source = "./alb"
              name   = "web"
              listeners = { http = { port = 80 } }
            }
            module "apps" {
              source   = "./app"
              for_each = { api = 8080, admin = 9090 }
              port     = each.value
              group    = module.alb.target_groups[each.key == "api" ? "main" : "other"].arn
            }
            module "off" {
              source = "./app"
              create = false
              port   = 1
              group  = "x"
            }
            ''',
        "alb/main.tf": '''
            variable "name" { type = string }
            variable "listeners" { type = map(object({ port = number, protocol = optional(string, "HTTP") })) }
            resource "aws_lb_target_group" "this" {
              for_each = toset(["main", "other"])
              name     = "${var.name}-${each.key}"
            }
            output "target_groups" { value = aws_lb_target_group.this }
            output "protocol" { value = var.listeners.http.protocol }
            ''',
        "app/main.tf": '''
            variable "port" { type = string }
            variable "group" {}
            variable "create" { default = true }
            resource "aws_ecs_service" "this" {
              count = var.create ? 1 : 0
              load_balancer {
                container_port   = var.port
                target_group_arn = var.group
              }
            }
            ''',
    }, modules={("alb",): "alb", ("apps",): "app", ("off",): "app"}))
    assert resources['module.apps["api"].aws_ecs_service.this[0]']["load_balancer"] == [
        {"container_port": "8080", "target_group_arn": 'module.alb.aws_lb_target_group.this["main"].arn'}]
    assert resources['module.alb.aws_lb_target_group.this["other"]'] == {"name": "web-other"}
    assert not [address for address in resources if address.startswith("module.off")]


def test_root_variables_take_tfvars_then_defaults_else_they_are_unknown(tmp_path):
    resources = by_address(configuration(tmp_path, {
        "main.tf": '''
            variable "from_tfvars" { default = 1 }
            variable "from_default" { default = 2 }
            variable "unset" {}
            variable "not_null" {
              default  = 4
              nullable = false
            }
            resource "aws_lb_target_group" "x" {
              port     = var.from_tfvars
              slow_start = var.from_default
              name     = var.unset
              deregistration_delay = var.not_null
            }
            ''',
        "terraform.tfvars": 'from_tfvars = 3\nnot_null = null\n'}))
    target_group = resources["aws_lb_target_group.x"]
    assert (target_group["port"], target_group["slow_start"], target_group["deregistration_delay"]) == (3, 2, 4)
    assert unknown(target_group["name"]) == "var.unset (no default, no tfvars)"


def test_what_cannot_be_known_is_unknown_and_names_the_expression(tmp_path):
    resources = by_address(configuration(tmp_path, {"main.tf": '''
        variable "ids" { type = list(string) }
        data "aws_security_group" "shared" {
          name = "shared"
        }
        resource "aws_ecs_service" "app" {
          network_configuration {
            security_groups = flatten(concat([try(aws_security_group.none[0].id, [])], var.ids))
          }
          dynamic "load_balancer" {
            for_each = var.ids
            content {
              container_port = 80
            }
          }
          name            = data.aws_security_group.shared.id
          task_definition = "${aws_ecs_task_definition.app.family}:${data.aws_security_group.shared.id}"
          cluster         = regex("^a", "abc")
        }
        resource "aws_ecs_task_definition" "app" {}
        resource "aws_security_group" "none" {
          count = 0
        }
        '''}))
    service = resources["aws_ecs_service.app"]
    assert unknown(service["network_configuration"][0]["security_groups"]) == "var.ids (no default, no tfvars)"
    assert unknown(service["load_balancer"]) == (
        'dynamic "load_balancer" blocks: for_each = var.ids (var.ids (no default, no tfvars))')
    assert unknown(service["name"]) == "data.aws_security_group.shared.id (a data source, read at plan time)"
    assert service["task_definition"] == "${aws_ecs_task_definition.app.family}:${?}"  # a reference, and text
    assert unknown(service["cluster"]) == 'regex("^a", "abc") (the function regex is not evaluated)'


def test_a_block_whose_count_is_unknown_is_a_placeholder_whose_arguments_are_unknown(tmp_path):
    resources = by_address(configuration(tmp_path, {"main.tf": '''
        variable "rules" { type = map(any) }
        resource "aws_security_group" "app" {}
        resource "aws_security_group_rule" "in" {
          for_each          = var.rules
          type              = "ingress"
          security_group_id = aws_security_group.app.id
          from_port         = each.value.port
        }
        resource "aws_ecs_service" "app" {
          count = length(var.rules)
          name  = "app"
        }
        '''}))
    rule, service = resources["aws_security_group_rule.in"], resources["aws_ecs_service.app"]
    assert (rule["type"], rule["security_group_id"]) == ("ingress", "aws_security_group.app.id")
    assert unknown(rule["from_port"]) == (
        "aws_security_group_rule.in: for_each = var.rules (var.rules (no default, no tfvars))")
    assert unknown(service["name"]).startswith("aws_ecs_service.app: count = length(var.rules)")


def test_container_definitions_from_template_file_templatefile_and_heredoc(tmp_path):
    resources = by_address(configuration(tmp_path, {
        "main.tf": '''
            variable "port" { default = 8080 }
            data "template_file" "containers" {
              template = file("${path.module}/one.tpl")
              vars     = { port = var.port }
            }
            resource "aws_ecs_task_definition" "data" {
              container_definitions = data.template_file.containers.rendered
            }
            resource "aws_ecs_task_definition" "function" {
              container_definitions = templatefile("${path.module}/many.tpl", {
                containers = [{ name = "a", ports = [80, 81] }, { name = "b", ports = [] }]
              })
            }
            resource "aws_ecs_task_definition" "heredoc" {
              container_definitions = <<EOF
            [{"name": "app", "portMappings": [{"containerPort": ${var.port}}]}]
            EOF
            }
            resource "aws_ecs_task_definition" "outside" {
              container_definitions = file("../secret.json")
            }
            ''',
        "one.tpl": '[{"name": "app", "portMappings": [{"containerPort": ${port}}]}]',
        "many.tpl": '[%{ for i, c in containers }{"name": "${c.name}", "ports": ${jsonencode(c.ports)}}'
                    '%{ if i < length(containers) - 1 },%{ endif }%{ endfor }]'}))
    assert json.loads(resources["aws_ecs_task_definition.data"]["container_definitions"]) == [
        {"name": "app", "portMappings": [{"containerPort": 8080}]}]
    assert json.loads(resources["aws_ecs_task_definition.function"]["container_definitions"]) == [
        {"name": "a", "ports": [80, 81]}, {"name": "b", "ports": []}]
    assert json.loads(resources["aws_ecs_task_definition.heredoc"]["container_definitions"]) == [
        {"name": "app", "portMappings": [{"containerPort": 8080}]}]
    assert "only files inside the configuration's directories" in unknown(
        resources["aws_ecs_task_definition.outside"]["container_definitions"])


# -- bounds: hostile configurations --------------------------------------------------------------------


def test_a_for_each_over_100000_keys_is_not_expanded_and_proves_nothing(tmp_path):
    resources = configuration(tmp_path, {"main.tf": '''
        resource "aws_security_group" "app" {}
        resource "aws_vpc_security_group_ingress_rule" "many" {
          for_each                     = { for i in range(100000) : tostring(i) => i }
          security_group_id            = aws_security_group.app.id
          ip_protocol                  = "tcp"
          from_port                    = each.value
          to_port                      = each.value
          referenced_security_group_id = aws_security_group.app.id
        }
        '''})
    (rule,) = [r for r in resources if r["type"] == "aws_vpc_security_group_ingress_rule"]
    assert rule["address"] == "aws_vpc_security_group_ingress_rule.many"
    assert f"more than {MAX_INSTANCES} instances are not evaluated" in unknown(rule["attributes"]["from_port"])


def test_self_referencing_locals_are_unknown(tmp_path):
    resources = by_address(configuration(tmp_path, {"main.tf": '''
        locals {
          port  = local.port + 1
          ping  = local.pong
          pong  = local.ping
        }
        resource "aws_lb_target_group" "x" {
          port = local.port
          name = local.ping
        }
        '''}))
    group = resources["aws_lb_target_group.x"]
    assert unknown(group["port"]) == "local.port refers to itself"
    assert unknown(group["name"]) == "local.ping refers to itself"


def test_a_chain_of_references_deeper_than_the_bound_is_unknown(tmp_path):
    chain = "\n".join(f"  l{index} = local.l{index + 1}" for index in range(2000))
    resources = by_address(configuration(tmp_path, {"main.tf": f'''
        locals {{
        {chain}
          l2000 = 8080
        }}
        resource "aws_lb_target_group" "x" {{
          port = local.l0
        }}
        '''}))
    assert "levels deep" in unknown(resources["aws_lb_target_group.x"]["port"])


def test_a_5000_deep_nested_object_is_refused_before_it_is_evaluated(tmp_path):
    deep = "{ a = " * 5000 + "1" + " }" * 5000
    with pytest.raises(syntax.SyntaxProblem, match="nested deeper than"):
        configuration(tmp_path, {"main.tf": f'locals {{\n  deep = {deep}\n}}\n'})


def test_unknown_placeholders_never_pass_a_hop(tmp_path):
    """The for_each over 100,000 keys stands for the task SG's only ingress rules: no gate through it is proved."""
    resources = configuration(tmp_path, {"main.tf": (Path(__file__).parents[1] / "fixtures" / "terraform" / "good"
                                                      / "standalone-sg-rules" / "main.tf").read_text()})
    rules = [r for r in resources if r["type"] in ("aws_security_group_rule", "aws_vpc_security_group_ingress_rule")
             and "app" in r["address"]]
    assert rules
    for rule in rules:
        rule["attributes"] = {name: {UNKNOWN_KEY: "for_each over 100000 keys"} if name != "security_group_id"
                              else value for name, value in rule["attributes"].items()}
    findings = analyze_terraform(resources, "hostile").findings
    assert {f.verdict for f in findings if f.rule_id in ("HOP303", "HOP306")} == {Verdict.UNKNOWN}

"""The rule catalog: the one list of rule ids both adapters and the docs are built from."""

from __future__ import annotations

from dataclasses import dataclass

DOCS_BASE_URL = "https://github.com/hoplint/hoplint/blob/main/docs/rules/"

# What a rule's verdict is reported on. Each loader maps its own resource types onto these kinds.
LISTENER = "listener"
TARGET_GROUP = "target_group"
SERVICE = "service"
TASK_DEFINITION = "task_definition"

CLOUDFORMATION_TYPES = {
    LISTENER: ("AWS::ElasticLoadBalancingV2::Listener",),
    TARGET_GROUP: ("AWS::ElasticLoadBalancingV2::TargetGroup",),
    SERVICE: ("AWS::ECS::Service",),
    TASK_DEFINITION: ("AWS::ECS::TaskDefinition",),
}

# What a FAILED verdict of the rule means: an error breaks traffic, a warning is a risk, information (HOP206)
# is worth knowing but harmless, and never fails a path, a CI run or a pre-commit hook.
ERROR, WARNING, INFORMATION = "error", "warning", "information"
CFN_LINT_LEVEL_LETTER = {ERROR: "E", WARNING: "W", INFORMATION: "I"}

TERRAFORM_TYPES = {
    LISTENER: ("aws_lb_listener", "aws_alb_listener"),
    TARGET_GROUP: ("aws_lb_target_group", "aws_alb_target_group"),
    SERVICE: ("aws_ecs_service",),
    TASK_DEFINITION: ("aws_ecs_task_definition",),
}


@dataclass(eq=False, repr=False)
class Rule:
    """One rule of the catalog: its id, policy, severity, why it matters and how to fix it."""

    id: str  # HOPnnn
    title: str  # reads as the policy: "Ensure ..."
    severity: str  # ERROR, WARNING or INFORMATION
    rationale: str
    remediation: str
    subjects: tuple  # kinds of resource the verdict is reported on

    @property
    def number(self) -> str:
        return self.id[3:]

    @property
    def checkov_id(self) -> str:
        return f"CKV_HOP_{self.number}"

    @property
    def cfn_lint_id(self) -> str:
        return f"{CFN_LINT_LEVEL_LETTER[self.severity]}9{self.number}"

    @property
    def informational(self) -> bool:
        """Its FAILED verdicts are notes: they fail no path, no run and no exit code."""
        return self.severity == INFORMATION

    @property
    def doc_url(self) -> str:
        return f"{DOCS_BASE_URL}{self.id}.md"

    def cloudformation_types(self) -> tuple:
        return tuple(t for kind in self.subjects for t in CLOUDFORMATION_TYPES[kind])

    def terraform_types(self) -> tuple:
        return tuple(t for kind in self.subjects for t in TERRAFORM_TYPES[kind])


_RULES = (
    Rule(
        "HOP101",
        "Ensure every ALB listener port is allowed by the ALB security group ingress from clients",
        "error",
        "Clients reach an Application Load Balancer only through its security groups. A listener whose "
        "port no ingress rule opens accepts nothing: connections time out before any listener, target "
        "group or health check is involved. An internet-facing ALB must open the port to a CIDR or a "
        "prefix list; an ALB without SecurityGroups uses the VPC default group, which admits only itself.",
        "Add an ingress rule for the listener's port and protocol (tcp) to one of the load balancer's "
        "security groups, from the client CIDRs or prefix list.",
        (LISTENER,),
    ),
    Rule(
        "HOP201",
        "Ensure ALB listeners and the target groups they forward to use HTTP or HTTPS",
        "error",
        "An Application Load Balancer speaks HTTP and HTTPS only. A TCP, TLS, UDP or GENEVE listener or "
        "target group behind an ALB is rejected at deployment, or belongs to a Network Load Balancer that "
        "the rest of the hop was not designed for.",
        "Set Protocol to HTTP or HTTPS on the listener and on every target group it forwards to.",
        (LISTENER, TARGET_GROUP),
    ),
    Rule(
        "HOP202",
        "Ensure a target group used by an ECS service is attached to a load balancer listener",
        "error",
        "ECS refuses to create a service whose target group has no associated load balancer: the stack "
        "fails with 'The target group does not have an associated load balancer'. A target group is "
        "associated through a listener default action or a listener rule that forwards to it.",
        "Forward to the target group from a listener's DefaultActions or from a ListenerRule, and make the "
        "service depend on that listener or rule.",
        (SERVICE,),
    ),
    Rule(
        "HOP203",
        "Ensure the target group TargetType is ip for awsvpc tasks",
        "error",
        "Tasks in awsvpc network mode (all Fargate tasks) get their own network interface and are "
        "registered by IP address. ECS cannot register them in a target group of type instance and the "
        "service fails to create.",
        "Set TargetType: ip on the target group.",
        (TARGET_GROUP,),
    ),
    Rule(
        "HOP204",
        "Ensure the ECS service load balancer ContainerName names a container of its task definition",
        "error",
        "ECS registers the container named in the service's LoadBalancers entry. A name that no container "
        "of the task definition has makes the service creation fail.",
        "Make LoadBalancers[].ContainerName equal to the Name of the container that serves the traffic.",
        (SERVICE,),
    ),
    Rule(
        "HOP205",
        "Ensure the ECS service load balancer ContainerPort is a tcp port mapping of that container",
        "error",
        "ECS registers targets on a port the container maps. A ContainerPort that the named container "
        "does not map over tcp is rejected when the service is created.",
        "Add a tcp PortMappings entry for the port to the container, or change LoadBalancers[].ContainerPort "
        "to the port the container listens on.",
        (SERVICE,),
    ),
    Rule(
        "HOP206",
        "Ensure the target group Port equals the ContainerPort the service registers",
        INFORMATION,
        "ECS registers each target on the port it runs on (the container port under awsvpc, the host port in "
        "bridge and host mode), whatever the target group Port says: a differing Port does not change where "
        "traffic goes. It misleads readers and tooling that derive other settings from it.",
        "Set the target group Port to the service's ContainerPort.",
        (TARGET_GROUP,),
    ),
    Rule(
        "HOP207",
        "Ensure each HostPort equals its ContainerPort under awsvpc",
        "error",
        "In awsvpc network mode the container port is the host port: a HostPort that differs from its "
        "ContainerPort is rejected when the task definition is registered.",
        "Remove HostPort, or set it equal to ContainerPort.",
        (TASK_DEFINITION,),
    ),
    Rule(
        "HOP208",
        "Ensure Fargate tasks and services use the awsvpc network mode",
        "error",
        "Fargate supports the awsvpc network mode only. A task definition that requires FARGATE, or that a "
        "Fargate service (LaunchType or FARGATE/FARGATE_SPOT capacity providers) runs, is rejected without it.",
        "Set NetworkMode: awsvpc on the task definition.",
        (TASK_DEFINITION, SERVICE),
    ),
    Rule(
        "HOP211",
        "Ensure the target group health check protocol is HTTP or HTTPS",
        "error",
        "Target groups of an Application Load Balancer health-check over HTTP or HTTPS. Another protocol "
        "is rejected, and targets never become healthy.",
        "Set HealthCheckProtocol to HTTP or HTTPS (or remove it: HTTP is the default).",
        (TARGET_GROUP,),
    ),
    Rule(
        "HOP212",
        "Ensure an explicit HealthCheckPort is a port the service's containers expose",
        "warning",
        "An explicit HealthCheckPort is probed on every target. If no container of the task maps that port, "
        "nothing answers and every target is marked unhealthy.",
        "Use HealthCheckPort: traffic-port, or add the port to the container's PortMappings.",
        (TARGET_GROUP,),
    ),
    Rule(
        "HOP301",
        "Ensure the ALB security group egress allows the target port toward the service",
        "error",
        "Security groups filter the ALB's outbound connections too. If no egress rule of the ALB's groups "
        "allows the target port toward the tasks (their security group, a CIDR covering them, or all), "
        "requests end in 502/504 and targets are unhealthy.",
        "Add an egress rule for tcp on the target port to the load balancer's security group, with the "
        "service's security group as destination.",
        (SERVICE,),
    ),
    Rule(
        "HOP302",
        "Ensure the ALB security group egress allows the health-check port",
        "error",
        "When the health check uses a port other than the traffic port, the ALB must be allowed to open "
        "connections to it as well, or every target fails its health check.",
        "Add an egress rule for tcp on the health-check port to the load balancer's security group, with the "
        "service's security group as destination.",
        (SERVICE,),
    ),
    Rule(
        "HOP303",
        "Ensure the service security group ingress allows the target port from the ALB",
        "error",
        "The tasks' security groups must admit the ALB on the port targets are registered on, either by "
        "referencing one of the ALB's security groups or by a CIDR covering the ALB's subnets. Otherwise "
        "requests end in 504 and targets are unhealthy.",
        "Add an ingress rule for tcp on the container port to the service's security group, with the load "
        "balancer's security group as source.",
        (SERVICE,),
    ),
    Rule(
        "HOP304",
        "Ensure the service security group ingress allows the health-check port from the ALB",
        "error",
        "Health checks come from the ALB to the health-check port. If the tasks' security groups do not "
        "admit that port from the ALB, targets never become healthy.",
        "Add an ingress rule for tcp on the health-check port to the service's security group, with the "
        "load balancer's security group as source.",
        (SERVICE,),
    ),
    Rule(
        "HOP305",
        "Ensure an awsvpc service names its security groups",
        "warning",
        "An awsvpc service without SecurityGroups gets the VPC default security group, whose rules are "
        "outside the template and usually admit only members of that group: the ALB hop is unknowable "
        "here and usually closed.",
        "Set NetworkConfiguration.AwsvpcConfiguration.SecurityGroups to a security group that admits the ALB.",
        (SERVICE,),
    ),
    Rule(
        "HOP306",
        "Ensure the service security group does not open the container port to the whole internet",
        "warning",
        "Tasks behind an ALB should be reached through it. Ingress from 0.0.0.0/0 or ::/0 on the container "
        "port lets anyone who can route to the task bypass the ALB's TLS, WAF and authentication.",
        "Replace the 0.0.0.0/0 or ::/0 source with the load balancer's security group.",
        (SERVICE,),
    ),
    Rule(
        "HOP401",
        "Ensure a blue/green alternate target group matches its primary's protocol, port, target type and health check",
        "error",
        "A blue/green deployment (ECS AdvancedConfiguration or a CodeDeploy target group pair) registers the new "
        "tasks in the alternate target group and shifts traffic to it. If it differs from the primary in protocol, "
        "port, target type or health check, the new tasks are reached or health-checked differently from the ones "
        "that worked: the deployment fails, or rolls back, only at the moment traffic shifts.",
        "Give the alternate target group the primary's Protocol, Port, TargetType, HealthCheckProtocol and "
        "HealthCheckPort.",
        (TARGET_GROUP,),
    ),
    Rule(
        "HOP402",
        "Ensure a blue/green test listener port is allowed by the ALB security group ingress",
        "error",
        "Before a blue/green deployment shifts production traffic, testers (people, or the deployment's validation "
        "hooks) reach the new tasks through the test listener. If no ingress rule of the ALB's security groups "
        "opens its port, every test times out and the deployment cannot be validated.",
        "Add an ingress rule for the test listener's port (tcp) to one of the load balancer's security groups, "
        "from where testers come from: their CIDR, prefix list or security group.",
        (LISTENER,),
    ),
    Rule(
        "HOP403",
        "Ensure a dualstack internet-facing ALB allows each listener port from an IPv6 source",
        "warning",
        "A dualstack Application Load Balancer publishes AAAA records: clients with IPv6 connect over IPv6. "
        "If its security groups admit the listener port only from IPv4 CIDRs (or IPv4 prefix lists), those "
        "clients' connections time out while IPv4 clients work, a failure that depends on the client's network.",
        "Add an ingress rule for the listener's port (tcp) from an IPv6 source to one of the load balancer's "
        "security groups: CidrIpv6 ::/0 (Terraform ipv6_cidr_blocks, cidr_ipv6) or an IPv6 prefix list; or set "
        "IpAddressType ipv4.",
        (LISTENER,),
    ),
    Rule(
        "HOP501",
        "Ensure the target group TargetType is instance for bridge and host network mode tasks",
        "error",
        "Tasks in bridge or host network mode share their container instance's network interface: ECS "
        "registers the instance, on the host port, and cannot register them in a target group of type ip. "
        "The service fails to create.",
        "Set TargetType: instance on the target group (or remove it: instance is the default).",
        (TARGET_GROUP,),
    ),
    Rule(
        "HOP502",
        "Ensure a target group of tasks with dynamic host ports health-checks the traffic port",
        "error",
        "In bridge mode a container port mapped with HostPort 0, or without HostPort, gets a host port ECS "
        "picks from the ephemeral range, a different one for each task. A fixed HealthCheckPort probes a "
        "port nothing listens on, so every target is marked unhealthy.",
        "Set HealthCheckPort: traffic-port (or remove it: traffic-port is the default).",
        (TARGET_GROUP,),
    ),
    Rule(
        "HOP503",
        "Ensure the container instances' security group ingress allows the host port from the ALB",
        "error",
        "Bridge and host mode tasks are reached through their container instance's security groups, those "
        "of its launch template or launch configuration. They must admit the ALB on the host port: the "
        "whole ephemeral range 32768-65535 for dynamic host ports, the HostPort (bridge) or ContainerPort "
        "(host) otherwise. Else requests end in 504 and targets are unhealthy.",
        "Add an ingress rule for tcp on the host port (32768-65535 for dynamic host ports) to the launch "
        "template's security group, with the load balancer's security group as source.",
        (SERVICE,),
    ),
    Rule(
        "HOP504",
        "Ensure the ALB security group egress allows the host port toward the container instances",
        "error",
        "The ALB's outbound connections to bridge and host mode tasks go to their container instance's host "
        "port. If no egress rule of the ALB's groups allows that port (the ephemeral range 32768-65535 for "
        "dynamic host ports) toward the instances, requests end in 502/504 and targets are unhealthy.",
        "Add an egress rule for tcp on the host port (32768-65535 for dynamic host ports) to the load "
        "balancer's security group, with the container instances' security group as destination.",
        (SERVICE,),
    ),
    Rule(
        "HOP601",
        "Ensure the network ACLs of the ALB's subnets allow the listener port from clients and the replies",
        "error",
        "Network ACLs are stateless: a custom ACL associated with the ALB's subnets must allow the listener port "
        "(tcp) in from the clients the ALB's security groups admit, and the replies out to their ephemeral ports "
        "(1024-65535). Its entries are read by rule number and the first match decides: a deny numbered below the "
        "allow, or a missing return entry, silently drops the connections the security groups let through.",
        "Add allow entries to the ACL, numbered below any deny that matches: the listener port in from the client "
        "CIDRs, and tcp 1024-65535 out to them.",
        (LISTENER,),
    ),
    Rule(
        "HOP602",
        "Ensure the network ACLs of the ALB's subnets allow the target and health-check ports toward the tasks",
        "error",
        "The ALB opens connections to the tasks' subnets on the target port, and on the health-check port when it "
        "differs. A custom network ACL of the ALB's subnets must allow those ports out to the task subnets' CIDRs "
        "and the replies back in on the ephemeral ports (1024-65535), or requests end in 502/504 and targets are "
        "unhealthy.",
        "Add allow entries to the ALB subnets' ACL, numbered below any deny that matches: tcp on the target and "
        "health-check ports out to the task subnets' CIDRs, and tcp 1024-65535 in from them.",
        (SERVICE,),
    ),
    Rule(
        "HOP603",
        "Ensure the network ACLs of the tasks' subnets allow the target and health-check ports from the ALB",
        "error",
        "A custom network ACL of the tasks' subnets must allow the target port, and the health-check port when it "
        "differs, in from the ALB's subnets' CIDRs and the replies back out to their ephemeral ports (1024-65535). "
        "Otherwise requests and health checks time out, whatever the security groups allow.",
        "Add allow entries to the task subnets' ACL, numbered below any deny that matches: tcp on the target and "
        "health-check ports in from the ALB subnets' CIDRs, and tcp 1024-65535 out to them.",
        (SERVICE,),
    ),
)

RULES = {rule.id: rule for rule in _RULES}
RULE_OF_CHECKOV_ID = {rule.checkov_id: rule for rule in _RULES}

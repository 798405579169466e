"""Every rule of the catalog as a function of a topology, yielding one Result per hop it judges."""

from policies.rules.blue_green import hop401_alternate_target_group_matches_primary, hop402_test_listener_port_open
from policies.rules.container_instances import (
    hop501_instance_targets_for_host_networking,
    hop502_dynamic_host_port_health_check,
    hop503_instance_ingress_host_port,
    hop504_alb_egress_host_port,
)
from policies.rules.ecs import (
    hop202_target_group_attached,
    hop204_container_name_exists,
    hop205_container_port_mapped,
    hop207_awsvpc_host_ports,
    hop208_fargate_uses_awsvpc,
)
from policies.rules.listeners import (
    hop101_listener_port_open_to_clients,
    hop201_alb_protocols,
    hop403_dualstack_listener_open_to_ipv6,
)
from policies.rules.network_acls import (
    hop601_alb_acl_allows_clients,
    hop602_alb_acl_allows_targets,
    hop603_task_acl_allows_alb,
)
from policies.rules.security_groups import (
    hop301_alb_egress_target_port,
    hop302_alb_egress_health_check_port,
    hop303_task_ingress_target_port,
    hop304_task_ingress_health_check_port,
    hop305_awsvpc_service_names_security_groups,
    hop306_container_port_not_open_to_world,
)
from policies.rules.target_groups import (
    hop203_ip_targets_for_awsvpc,
    hop206_target_port_matches_container,
    hop211_health_check_protocol,
    hop212_health_check_port_exposed,
)

ALL_RULES = (
    hop101_listener_port_open_to_clients,
    hop201_alb_protocols,
    hop202_target_group_attached,
    hop203_ip_targets_for_awsvpc,
    hop204_container_name_exists,
    hop205_container_port_mapped,
    hop206_target_port_matches_container,
    hop207_awsvpc_host_ports,
    hop208_fargate_uses_awsvpc,
    hop211_health_check_protocol,
    hop212_health_check_port_exposed,
    hop301_alb_egress_target_port,
    hop302_alb_egress_health_check_port,
    hop303_task_ingress_target_port,
    hop304_task_ingress_health_check_port,
    hop305_awsvpc_service_names_security_groups,
    hop306_container_port_not_open_to_world,
    hop401_alternate_target_group_matches_primary,
    hop402_test_listener_port_open,
    hop403_dualstack_listener_open_to_ipv6,
    hop501_instance_targets_for_host_networking,
    hop502_dynamic_host_port_health_check,
    hop503_instance_ingress_host_port,
    hop504_alb_egress_host_port,
    hop601_alb_acl_allows_clients,
    hop602_alb_acl_allows_targets,
    hop603_task_acl_allows_alb,
)

"""The network layer: private, internet-less, isolated per environment."""

from __future__ import annotations

import ipaddress
import itertools

import pytest

from shared import iam, zones
from shared.environments import EnvironmentProfile
from tests.support.documents import Document, layer, one, policy, resources


def test_vpc_uses_the_profile_cidr_and_is_named_by_convention(
    doc: Document, profile: EnvironmentProfile, environment: str
) -> None:
    vpc = one(doc, "aws:ec2/vpc:Vpc")["inputs"]
    assert vpc["cidrBlock"] == profile.vpc_cidr
    assert vpc["tags"]["Name"] == f"vpc-{environment}-us-east-1"
    assert vpc["enableDnsSupport"] is True


def test_environment_vpcs_do_not_overlap(synthesized: dict[str, Document]) -> None:
    blocks = {
        env: ipaddress.ip_network(one(d, "aws:ec2/vpc:Vpc")["inputs"]["cidrBlock"])
        for env, d in synthesized.items()
    }
    for (a, net_a), (b, net_b) in itertools.combinations(blocks.items(), 2):
        assert not net_a.overlaps(net_b), f"{a} {net_a} overlaps {b} {net_b}"


def test_private_subnets_span_distinct_zones_inside_the_vpc(
    doc: Document, profile: EnvironmentProfile
) -> None:
    vpc = ipaddress.ip_network(one(doc, "aws:ec2/vpc:Vpc")["inputs"]["cidrBlock"])
    subnets = [r["inputs"] for r in resources(doc, "aws:ec2/subnet:Subnet")]
    assert len(subnets) == profile.az_count >= 2
    # By zone ID, the same physical zone in every account; never one Lambda refuses.
    zone_ids = [s["availabilityZoneId"] for s in subnets]
    assert "availabilityZone" not in subnets[0]
    assert len(set(zone_ids)) == len(subnets)
    assert not set(zone_ids) & zones.LAMBDA_UNSUPPORTED_ZONE_IDS
    blocks = [ipaddress.ip_network(s["cidrBlock"]) for s in subnets]
    assert all(block.subnet_of(vpc) for block in blocks)  # type: ignore[arg-type]
    assert not any(a.overlaps(b) for a, b in itertools.combinations(blocks, 2))
    assert all(s["mapPublicIpOnLaunch"] is False for s in subnets)


ZONES = [
    zones.Zone(f"us-east-1{c}", f"use1-az{i}") for c, i in zip("abcdef", "612435", strict=True)
]


def test_zones_are_chosen_by_id_leaving_out_what_lambda_or_the_endpoint_lacks() -> None:
    every = {z.name for z in ZONES}
    chosen = zones.choose(ZONES, 3, every, "us-east-1")
    assert [z.zone_id for z in chosen] == ["use1-az1", "use1-az2", "use1-az4"]
    # use1-az3 (us-east-1e here) is never chosen, even when asked for five of six.
    assert "use1-az3" not in [z.zone_id for z in zones.choose(ZONES, 5, every, "us-east-1")]
    # A zone the SQS endpoint is not offered in is left out, and the next one taken.
    no_az1 = every - {"us-east-1b"}
    assert [z.zone_id for z in zones.choose(ZONES, 2, no_az1, "us-east-1")] == [
        "use1-az2",
        "use1-az4",
    ]


def test_too_few_usable_zones_is_one_line_naming_the_fix() -> None:
    with pytest.raises(zones.ZoneError) as refused:
        zones.choose(ZONES, 3, {"us-east-1a", "us-east-1e", "us-east-1c"}, "us-east-1")
    message = str(refused.value)
    assert "has 2 zones that support Lambda and the sqs and xray interface endpoints" in message
    assert "left out: use1-az1, use1-az3, use1-az4, use1-az5" in message
    assert message.endswith("lower trading-network:az_count to 2") and "\n" not in message


def test_no_path_to_the_internet(doc: Document) -> None:
    types = {r["type"] for entry in doc["layers"] for r in entry["resources"]}
    forbidden = {
        "aws:ec2/internetGateway:InternetGateway",
        "aws:ec2/egressOnlyInternetGateway:EgressOnlyInternetGateway",
        "aws:ec2/natGateway:NatGateway",
        "aws:ec2/eip:Eip",
        "aws:ec2/route:Route",
    }
    assert not types & forbidden
    table = one(doc, "aws:ec2/routeTable:RouteTable")["inputs"]
    assert not table.get("routes"), "the private route table has only local and endpoint routes"


def test_every_subnet_uses_the_private_route_table(doc: Document) -> None:
    subnet_ids = set(layer(doc, "network")["outputs"]["private_subnet_ids"])
    associations = resources(doc, "aws:ec2/routeTableAssociation:RouteTableAssociation")
    assert {a["inputs"]["subnetId"] for a in associations} == subnet_ids
    assert len({a["inputs"]["routeTableId"] for a in associations}) == 1


def test_gateway_endpoints_for_s3_and_dynamodb_on_the_private_route_table(doc: Document) -> None:
    endpoints = [
        r["inputs"]
        for r in resources(doc, "aws:ec2/vpcEndpoint:VpcEndpoint")
        if r["inputs"]["vpcEndpointType"] == "Gateway"
    ]
    assert sorted(e["serviceName"] for e in endpoints) == [
        "com.amazonaws.us-east-1.dynamodb",
        "com.amazonaws.us-east-1.s3",
    ]
    route_table_ids = {
        a["inputs"]["routeTableId"]
        for a in resources(doc, "aws:ec2/routeTableAssociation:RouteTableAssociation")
    }
    for endpoint in endpoints:
        assert set(endpoint["routeTableIds"]) == route_table_ids


def test_sqs_and_xray_interface_endpoints_in_every_private_subnet_for_the_function_only(
    doc: Document,
) -> None:
    endpoints = {
        r["inputs"]["serviceName"]: r["inputs"]
        for r in resources(doc, "aws:ec2/vpcEndpoint:VpcEndpoint")
        if r["inputs"]["vpcEndpointType"] == "Interface"
    }
    # SQS for the failure queue; X-Ray for the segments Lambda's daemon relays from the VPC.
    assert set(endpoints) == {"com.amazonaws.us-east-1.sqs", "com.amazonaws.us-east-1.xray"}
    function_group = layer(doc, "network")["outputs"]["lambda_security_group_id"]
    [ingress] = [
        r["inputs"]
        for r in resources(doc, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
    ]
    for endpoint in endpoints.values():
        assert endpoint["privateDnsEnabled"] is True
        assert endpoint["subnetIds"] == layer(doc, "network")["outputs"]["private_subnet_ids"]
        assert endpoint["securityGroupIds"] == [ingress["securityGroupId"]]
    assert ingress["referencedSecurityGroupId"] == function_group
    assert (ingress["ipProtocol"], ingress["fromPort"], ingress["toPort"]) == ("tcp", 443, 443)


def test_function_security_group_allows_only_https_to_the_endpoints(doc: Document) -> None:
    group = one(doc, "aws:ec2/securityGroup:SecurityGroup", "network", name="network-lambda-sg")
    assert "ingress" not in group["inputs"] and "egress" not in group["inputs"]
    assert not resources(doc, "aws:ec2/securityGroupRule:SecurityGroupRule")
    function_group = layer(doc, "network")["outputs"]["lambda_security_group_id"]
    rules = [
        r["inputs"]
        for r in resources(doc, "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule")
    ]
    assert len(rules) == 3
    for rule in rules:
        assert (rule["ipProtocol"], rule["fromPort"], rule["toPort"]) == ("tcp", 443, 443)
        assert "cidrIpv4" not in rule and "cidrIpv6" not in rule
        assert rule["securityGroupId"] == function_group
    prefix_lists = {rule["prefixListId"] for rule in rules if "prefixListId" in rule}
    assert len(prefix_lists) == 2 and all(p.startswith("pl-") for p in prefix_lists)
    [to_endpoints] = [rule for rule in rules if "referencedSecurityGroupId" in rule]
    groups = {
        r["inputs"]["securityGroupIds"][0]
        for r in resources(doc, "aws:ec2/vpcEndpoint:VpcEndpoint")
        if r["inputs"]["vpcEndpointType"] == "Interface"
    }
    assert groups == {to_endpoints["referencedSecurityGroupId"]}


def test_default_security_group_has_no_rules(doc: Document) -> None:
    default = one(doc, "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup")["inputs"]
    assert not default.get("ingress") and not default.get("egress")


def test_flow_logs_capture_all_traffic_with_the_environment_retention(
    doc: Document, profile: EnvironmentProfile, environment: str
) -> None:
    flow = one(doc, "aws:ec2/flowLog:FlowLog")["inputs"]
    group = next(g["inputs"] for g in resources(doc, "aws:cloudwatch/logGroup:LogGroup", "network"))
    assert flow["trafficType"] == "ALL"
    assert flow["vpcId"] == layer(doc, "network")["outputs"]["vpc_id"]
    assert flow["logDestination"].endswith(f":log-group:{group['name']}")
    assert group["name"] == f"/aws/vpc/flow-logs-{environment}-us-east-1"
    assert group["retentionInDays"] == profile.log_retention_days


def test_flow_log_role_is_limited_to_its_service_account_and_log_group(doc: Document) -> None:
    role = one(doc, "aws:iam/role:Role", "network")
    trust = policy(role, "assumeRolePolicy")["Statement"]
    assert [s["Principal"] for s in trust] == [{"Service": "vpc-flow-logs.amazonaws.com"}]
    assert trust[0]["Condition"]["StringEquals"] == {"aws:SourceAccount": "123456789012"}
    inline = policy(one(doc, "aws:iam/rolePolicy:RolePolicy", "network"))
    flow_group = one(doc, "aws:ec2/flowLog:FlowLog")["inputs"]["logDestination"]
    for statement in inline["Statement"]:
        if statement["Resource"] == ["*"]:
            assert set(statement["Action"]) == set(iam.FLOW_LOG_DISCOVERY_ACTIONS)
            continue
        for resource in statement["Resource"]:
            assert resource.startswith(flow_group), resource


def test_what_holds_lambda_s_interfaces_may_wait_for_them_on_delete(doc: Document) -> None:
    # Lambda releases a detached function's interfaces up to 20 minutes later; the subnets and
    # the function's group wait that long and more, not the provider's shorter defaults.
    held = resources(doc, "aws:ec2/subnet:Subnet") + [
        group
        for group in resources(doc, "aws:ec2/securityGroup:SecurityGroup")
        if group["name"] == "network-lambda-sg"
    ]
    assert len(held) >= 3
    for resource in held:
        assert resource["options"]["customTimeouts"] == {"delete": "45m"}, resource["name"]

"""A private, internet-less VPC the data processor runs in."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from shared import iam, zones
from shared.components.account import Account, current_account
from shared.naming import NameKind
from shared.settings import NetworkSettings

# How long deleting a subnet or the function's group may wait on interfaces Lambda releases.
LAMBDA_ENI_DELETE_TIMEOUT = "45m"


@dataclass(frozen=True)
class PrivateNetworkArgs:
    settings: NetworkSettings
    # Encrypts the flow logs (the network layer's own key; see stacks/network/__main__.py).
    key_arn: pulumi.Input[str]


class PrivateNetwork(pulumi.ComponentResource):
    """VPC, private subnets, S3 and DynamoDB gateway endpoints, an SQS interface endpoint,
    locked-down groups, flow logs."""

    vpc: aws.ec2.Vpc
    subnets: list[aws.ec2.Subnet]
    lambda_security_group: aws.ec2.SecurityGroup
    flow_log_group: aws.cloudwatch.LogGroup

    def __init__(
        self, name: str, args: PrivateNetworkArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("trading:network:PrivateNetwork", name, None, opts)
        self._name = name
        self._settings = args.settings
        self._key_arn = args.key_arn
        self._child = pulumi.ResourceOptions(parent=self)
        # What the function's interfaces sit in: deleting it waits while Lambda releases them, up
        # to 20 minutes after the function leaves the VPC (Lambda developer guide, "Deleting
        # ENIs"); destroy detaches the function first (orchestration/network_release.py), and
        # this leaves room past the provider's own defaults for the rest.
        self._waits_on_lambda = pulumi.ResourceOptions(
            parent=self, custom_timeouts=pulumi.CustomTimeouts(delete=LAMBDA_ENI_DELETE_TIMEOUT)
        )
        account = current_account(self)

        self.vpc = aws.ec2.Vpc(
            f"{name}-vpc",
            cidr_block=self._settings.vpc_cidr,
            # Private DNS is how the function resolves the S3 and DynamoDB endpoints.
            enable_dns_support=True,
            enable_dns_hostnames=True,
            tags=self._tagged("vpc"),
            opts=self._child,
        )
        # The default group is what anything launched without a group gets: strip it bare.
        aws.ec2.DefaultSecurityGroup(
            f"{name}-default-sg",
            vpc_id=self.vpc.id,
            tags=self._tagged("default-sg"),
            opts=self._child,
        )
        route_table = aws.ec2.RouteTable(
            f"{name}-private-rt",
            vpc_id=self.vpc.id,
            tags=self._tagged("private-rt"),
            opts=self._child,
        )
        self.subnets = self._private_subnets(route_table)
        endpoints = self._gateway_endpoints(route_table)
        self.lambda_security_group = self._function_security_group(endpoints)
        self._interface_endpoints(self.lambda_security_group)
        self.flow_log_group = self._flow_logs(account)

        self.register_outputs(
            {
                "vpc_id": self.vpc.id,
                "subnet_ids": [subnet.id for subnet in self.subnets],
                "lambda_security_group_id": self.lambda_security_group.id,
            }
        )

    def _tagged(self, resource_type: str) -> dict[str, str]:
        context = self._settings.context
        return {**context.tags, "Name": context.naming.name(resource_type)}

    def _private_subnets(self, route_table: aws.ec2.RouteTable) -> list[aws.ec2.Subnet]:
        """One private subnet per zone, all on the one route table (no route leaves the VPC)."""
        s, name = self._settings, self._name
        zones = _availability_zones(s.context.region, s.az_count, self)
        subnets = []
        for index, (zone, cidr) in enumerate(
            zip(zones, _subnet_blocks(s.vpc_cidr, s.az_count), strict=True), 1
        ):
            subnet = aws.ec2.Subnet(
                f"{name}-private-{index}",
                vpc_id=self.vpc.id,
                cidr_block=cidr,
                # By ID: the same physical zone in every account (shared/zones.py).
                availability_zone_id=zone.zone_id,
                map_public_ip_on_launch=False,
                tags=self._tagged(f"private-subnet-{index}"),
                opts=self._waits_on_lambda,
            )
            aws.ec2.RouteTableAssociation(
                f"{name}-private-{index}-rt",
                subnet_id=subnet.id,
                route_table_id=route_table.id,
                opts=self._child,
            )
            subnets.append(subnet)
        return subnets

    def _gateway_endpoints(self, route_table: aws.ec2.RouteTable) -> dict[str, aws.ec2.VpcEndpoint]:
        # Gateway endpoints add routes to the private route table: S3 and DynamoDB without
        # an internet gateway or NAT, and at no hourly cost.
        return {
            service: aws.ec2.VpcEndpoint(
                f"{self._name}-{service}-endpoint",
                vpc_id=self.vpc.id,
                service_name=f"com.amazonaws.{self._settings.context.region}.{service}",
                vpc_endpoint_type="Gateway",
                route_table_ids=[route_table.id],
                tags=self._tagged(f"{service}-endpoint"),
                opts=self._child,
            )
            for service in ("s3", "dynamodb")
        }

    def _function_security_group(
        self, endpoints: dict[str, aws.ec2.VpcEndpoint]
    ) -> aws.ec2.SecurityGroup:
        name = self._name
        group = aws.ec2.SecurityGroup(
            f"{name}-lambda-sg",
            name=self._settings.context.naming.name("data-processor-sg", NameKind.SECURITY_GROUP),
            description="Data processor: HTTPS to the VPC endpoints (S3, DynamoDB, SQS) only",
            vpc_id=self.vpc.id,
            # No inline rules: the provider then removes AWS's default allow-all egress, and
            # the rules below are the whole story. DNS to the VPC resolver is not filtered by
            # security groups, so it needs no rule.
            tags=self._tagged("data-processor-sg"),
            opts=self._waits_on_lambda,
        )
        for service, endpoint in endpoints.items():
            aws.vpc.SecurityGroupEgressRule(
                f"{name}-lambda-sg-{service}-https",
                security_group_id=group.id,
                description=f"HTTPS to the {service} gateway endpoint",
                ip_protocol="tcp",
                from_port=443,
                to_port=443,
                prefix_list_id=endpoint.prefix_list_id,
                tags=self._tagged(f"data-processor-sg-{service}-https"),
                opts=self._child,
            )
        return group

    def _interface_endpoints(self, function_group: aws.ec2.SecurityGroup) -> None:
        """SQS and X-Ray through PrivateLink, since the VPC has no other way out: the function
        sends records that can never succeed to the failure queue itself
        (functions/data_processor/trade_analytics/streams.py), and Lambda's X-Ray daemon runs
        in the function's execution environment and relays its segments to the X-Ray API from
        there (X-Ray developer guide, "AWS Lambda and AWS X-Ray"): without a route, active
        tracing would record only Lambda's own segment. An interface endpoint each in every
        private subnet, private DNS on (the default hostnames resolve to them), reachable from
        the function's group on HTTPS and from nothing else."""
        name, context = self._name, self._settings.context
        group = aws.ec2.SecurityGroup(
            f"{name}-endpoints-sg",
            name=context.naming.name("vpc-endpoints-sg", NameKind.SECURITY_GROUP),
            description="Interface VPC endpoints: HTTPS from the data processor only",
            vpc_id=self.vpc.id,
            tags=self._tagged("vpc-endpoints-sg"),
            opts=self._child,
        )
        aws.vpc.SecurityGroupIngressRule(
            f"{name}-endpoints-sg-https-in",
            security_group_id=group.id,
            description="HTTPS from the data processor",
            ip_protocol="tcp",
            from_port=443,
            to_port=443,
            referenced_security_group_id=function_group.id,
            tags=self._tagged("vpc-endpoints-sg-https-in"),
            opts=self._child,
        )
        aws.vpc.SecurityGroupEgressRule(
            f"{name}-lambda-sg-endpoints-https",
            security_group_id=function_group.id,
            description="HTTPS to the interface endpoints",
            ip_protocol="tcp",
            from_port=443,
            to_port=443,
            referenced_security_group_id=group.id,
            tags=self._tagged("data-processor-sg-endpoints-https"),
            opts=self._child,
        )
        for service in zones.INTERFACE_ENDPOINTS:
            aws.ec2.VpcEndpoint(
                f"{name}-{service}-endpoint",
                vpc_id=self.vpc.id,
                service_name=f"com.amazonaws.{context.region}.{service}",
                vpc_endpoint_type="Interface",
                subnet_ids=[subnet.id for subnet in self.subnets],
                security_group_ids=[group.id],
                private_dns_enabled=True,
                tags=self._tagged(f"{service}-endpoint"),
                opts=self._child,
            )

    def _flow_logs(self, account: Account) -> aws.cloudwatch.LogGroup:
        """Flow logs of all traffic into a log group of their own, through a scoped role."""
        name, context = self._name, self._settings.context
        region = context.region
        log_group = aws.cloudwatch.LogGroup(
            f"{name}-flow-logs",
            name=context.naming.log_group("/aws/vpc", "flow-logs"),
            retention_in_days=self._settings.log_retention_days,
            kms_key_id=self._key_arn,
            tags=context.tags,
            opts=self._child,
        )
        role = aws.iam.Role(
            f"{name}-flow-logs-role",
            name=context.naming.name("vpc-flow-logs-role", NameKind.IAM_ROLE),
            # Confused-deputy guard: only flow logs of this account may assume the role.
            assume_role_policy=iam.to_json(
                iam.service_trust(
                    "vpc-flow-logs.amazonaws.com",
                    {
                        "StringEquals": {"aws:SourceAccount": account.account_id},
                        "ArnLike": {
                            "aws:SourceArn": f"arn:{account.partition}:ec2:{region}:"
                            f"{account.account_id}:vpc-flow-log/*"
                        },
                    },
                )
            ),
            tags=context.tags,
            opts=self._child,
        )
        policy = aws.iam.RolePolicy(
            f"{name}-flow-logs-policy",
            role=role.id,
            policy=log_group.arn.apply(lambda arn: iam.to_json(iam.flow_log_policy(arn))),
            opts=self._child,
        )
        aws.ec2.FlowLog(
            f"{name}-flow-log",
            vpc_id=self.vpc.id,
            traffic_type="ALL",
            log_destination_type="cloud-watch-logs",
            log_destination=log_group.arn,
            iam_role_arn=role.arn,
            max_aggregation_interval=60,
            tags=self._tagged("flow-log"),
            # Without the policy in place the first delivery attempts fail and AWS backs off.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[policy]),
        )
        return log_group


def _subnet_blocks(vpc_cidr: str, count: int) -> list[str]:
    """Equal blocks, 16 per VPC, so more zones can be added later without renumbering."""
    network = ipaddress.IPv4Network(vpc_cidr)
    return [str(block) for block in list(network.subnets(prefixlen_diff=4))[:count]]


def _availability_zones(region: str, count: int, parent: pulumi.Resource) -> list[zones.Zone]:
    found = aws.get_availability_zones(
        state="available",
        # Local and Wavelength zones need opting in and lack gateway endpoints; skip them.
        filters=[{"name": "opt-in-status", "values": ["opt-in-not-required"]}],
        opts=pulumi.InvokeOptions(parent=parent),
    )
    offered = set(found.names)
    for service in zones.INTERFACE_ENDPOINTS:
        offered &= set(
            aws.ec2.get_vpc_endpoint_service(
                service_name=f"com.amazonaws.{region}.{service}",
                opts=pulumi.InvokeOptions(parent=parent),
            ).availability_zones
        )
    available = [zones.Zone(n, i) for n, i in zip(found.names, found.zone_ids, strict=True)]
    try:
        return zones.choose(available, count, offered, region)
    except zones.ZoneError as error:
        raise pulumi.RunError(str(error)) from None

"""One entry per synthesized resource type: the calls terraform-provider-aws makes to create it,
read it back and list its tags (the entry's `source`, in hashicorp/terraform-provider-aws), with
the parameters mapped from the pulumi-aws inputs (camelCase of the terraform attributes)."""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

NON_AWS = frozenset(
    {
        # Components: the engine's own grouping, no provider calls.
        "trading:shared:EncryptionKey",
        "trading:network:PrivateNetwork",
        "trading:data:AlarmTopic",
        "trading:data:AnalyticsTable",
        "trading:data:ArchiveBucket",
        "trading:data:DataAlarms",
        "trading:data:TradeStream",
        "trading:compute:DataProcessor",
        "trading:compute:ProcessorMonitoring",
        # Read from the engine's state backend, not from AWS.
        "pulumi:pulumi:StackReference",
    }
)


class Context:
    """The clients, the call count and the resource being replayed (for the messages)."""

    def __init__(self, client: Callable[[str], Any]) -> None:
        self._client = client
        self._clients: dict[str, Any] = {}
        self.calls = 0
        self.resource = ""

    def call(self, service: str, operation: str, **params: Any) -> Any:
        if service not in self._clients:
            self._clients[service] = self._client(service)
        self.calls += 1
        try:
            return getattr(self._clients[service], operation)(**params)
        except Exception as error:  # any failure is the emulator refusing the provider's call
            raise AssertionError(
                f"{self.resource}: {service} {operation} failed: {error}"
            ) from None


def _policy(value: Any) -> Any:
    """A JSON policy as a value: key order and IAM's URL-encoding are not differences
    (internal/verify/json.go SuppressEquivalentPolicyDiffs; IAM returns documents URL-encoded)."""
    if isinstance(value, str):
        text = urllib.parse.unquote(value) if value.startswith("%7B") else value
        return json.loads(text)
    return value


def compare(
    resource: str, call: str, expected: Mapping[str, Any], actual: Mapping[str, Any]
) -> None:
    """Every expected field read back equal; a field the emulator dropped is drift too."""
    for field, want in expected.items():
        if field not in actual or actual[field] is None:
            raise AssertionError(f"{resource}: {call} dropped {field} (want {want!r})")
        if actual[field] != want:
            raise AssertionError(
                f"{resource}: {call} returned {field}={actual[field]!r}, want {want!r}"
            )


def _tags(items: Any, key: str = "Key", value: str = "Value") -> dict[str, str]:
    if isinstance(items, Mapping):
        return dict(items)
    return {t[key]: t[value] for t in items or []}


def _tag_list(tags: Mapping[str, str] | None) -> list[dict[str, str]]:
    return [{"Key": k, "Value": v} for k, v in (tags or {}).items()]


def _spec(resource_type: str, tags: Mapping[str, str] | None) -> list[dict[str, Any]]:
    if not tags:
        return []
    return [
        {"ResourceType": resource_type, "Tags": [{"Key": k, "Value": v} for k, v in tags.items()]}
    ]


Created = dict[str, str]
Create = Callable[[Context, dict[str, Any]], Created]


@dataclass(frozen=True)
class Entry:
    source: str  # the provider file the calls are taken from
    calls: tuple[str, ...]  # service:Operation, in the order made
    create: Create | None


TABLE: dict[str, Entry] = {}


def entry(type_: str, source: str, *calls: str) -> Callable[[Create], Create]:
    def register(fn: Create) -> Create:
        TABLE[type_] = Entry(source, calls, fn)
        return fn

    return register


class UnknownTypeError(AssertionError):
    pass


def entry_for(type_: str) -> Entry:
    if type_ in NON_AWS:
        return Entry("", (), None)
    if type_ not in TABLE:
        raise UnknownTypeError(f"no conformance entry for synthesized type {type_}")
    return TABLE[type_]


# ---- KMS -----------------------------------------------------------------------------------


@entry(
    "aws:kms/key:Key",
    "internal/service/kms/key.go",
    "kms:CreateKey",
    "kms:EnableKeyRotation",
    "kms:DescribeKey",
    "kms:GetKeyPolicy",
    "kms:GetKeyRotationStatus",
    "kms:ListResourceTags",
)
def _kms_key(ctx: Context, i: dict[str, Any]) -> Created:
    r = ctx.resource
    key = ctx.call(
        "kms",
        "create_key",
        Policy=i["policy"],
        Description=i.get("description", ""),
        KeyUsage="ENCRYPT_DECRYPT",
        Tags=[{"TagKey": k, "TagValue": v} for k, v in i["tags"].items()],
    )["KeyMetadata"]
    key_id = key["KeyId"]
    if i.get("enableKeyRotation"):
        ctx.call("kms", "enable_key_rotation", KeyId=key_id)
    meta = ctx.call("kms", "describe_key", KeyId=key_id)["KeyMetadata"]
    compare(r, "DescribeKey", {"Description": i.get("description", "")}, meta)
    policy = ctx.call("kms", "get_key_policy", KeyId=key_id, PolicyName="default")["Policy"]
    compare(r, "GetKeyPolicy", {"Policy": _policy(i["policy"])}, {"Policy": _policy(policy)})
    rotation = ctx.call("kms", "get_key_rotation_status", KeyId=key_id)
    compare(
        r,
        "GetKeyRotationStatus",
        {"KeyRotationEnabled": bool(i.get("enableKeyRotation"))},
        rotation,
    )
    tags = ctx.call("kms", "list_resource_tags", KeyId=key_id)["Tags"]
    compare(r, "ListResourceTags", {"Tags": i["tags"]}, {"Tags": _tags(tags, "TagKey", "TagValue")})
    return {"id": key_id, "keyId": key_id, "arn": key["Arn"]}


@entry("aws:kms/alias:Alias", "internal/service/kms/alias.go", "kms:CreateAlias", "kms:ListAliases")
def _kms_alias(ctx: Context, i: dict[str, Any]) -> Created:
    ctx.call("kms", "create_alias", AliasName=i["name"], TargetKeyId=i["targetKeyId"])
    aliases = ctx.call("kms", "list_aliases")["Aliases"]
    found = {a["AliasName"]: a for a in aliases}.get(i["name"], {})
    compare(
        ctx.resource,
        "ListAliases",
        {"AliasName": i["name"], "TargetKeyId": i["targetKeyId"]},
        found,
    )
    return {"id": i["name"]}


# ---- EC2 -----------------------------------------------------------------------------------


@entry(
    "aws:ec2/vpc:Vpc",
    "internal/service/ec2/vpc_.go",
    "ec2:CreateVpc",
    "ec2:ModifyVpcAttribute",
    "ec2:DescribeVpcs",
    "ec2:DescribeVpcAttribute",
)
def _vpc(ctx: Context, i: dict[str, Any]) -> Created:
    vpc = ctx.call(
        "ec2", "create_vpc", CidrBlock=i["cidrBlock"], TagSpecifications=_spec("vpc", i.get("tags"))
    )["Vpc"]
    vpc_id = vpc["VpcId"]
    for attribute in ("enableDnsSupport", "enableDnsHostnames"):
        if attribute in i:
            name = attribute[0].upper() + attribute[1:]
            ctx.call("ec2", "modify_vpc_attribute", VpcId=vpc_id, **{name: {"Value": i[attribute]}})
    got = ctx.call("ec2", "describe_vpcs", VpcIds=[vpc_id])["Vpcs"][0]
    compare(
        ctx.resource,
        "DescribeVpcs",
        {"CidrBlock": i["cidrBlock"], "Tags": i.get("tags", {})},
        {**got, "Tags": _tags(got.get("Tags"))},
    )
    for attribute in ("enableDnsSupport", "enableDnsHostnames"):
        name = attribute[0].upper() + attribute[1:]
        answer = ctx.call("ec2", "describe_vpc_attribute", VpcId=vpc_id, Attribute=attribute)
        compare(
            ctx.resource,
            "DescribeVpcAttribute",
            {name: i.get(attribute, attribute == "enableDnsSupport")},
            {name: answer.get(name, {}).get("Value")},
        )
    return {"id": vpc_id}


@entry(
    "aws:ec2/subnet:Subnet",
    "internal/service/ec2/vpc_subnet.go",
    "ec2:CreateSubnet",
    "ec2:DescribeSubnets",
)
def _subnet(ctx: Context, i: dict[str, Any]) -> Created:
    # The zone by ID when the input names one (vpc_subnet.go: availability_zone_id), else by name.
    zone = (
        {"AvailabilityZoneId": i["availabilityZoneId"]}
        if "availabilityZoneId" in i
        else {"AvailabilityZone": i["availabilityZone"]}
    )
    subnet = ctx.call(
        "ec2",
        "create_subnet",
        VpcId=i["vpcId"],
        CidrBlock=i["cidrBlock"],
        TagSpecifications=_spec("subnet", i.get("tags")),
        **zone,
    )["Subnet"]
    got = ctx.call("ec2", "describe_subnets", SubnetIds=[subnet["SubnetId"]])["Subnets"][0]
    want = {
        "VpcId": i["vpcId"],
        "CidrBlock": i["cidrBlock"],
        **zone,
        "MapPublicIpOnLaunch": i.get("mapPublicIpOnLaunch", False),
        "Tags": i.get("tags", {}),
    }
    compare(ctx.resource, "DescribeSubnets", want, {**got, "Tags": _tags(got.get("Tags"))})
    return {"id": subnet["SubnetId"]}


def _read_group(ctx: Context, group_id: str) -> dict[str, Any]:
    got = ctx.call("ec2", "describe_security_groups", GroupIds=[group_id])["SecurityGroups"][0]
    return {**got, "Tags": _tags(got.get("Tags"))}


@entry(
    "aws:ec2/securityGroup:SecurityGroup",
    "internal/service/ec2/vpc_security_group.go",
    "ec2:CreateSecurityGroup",
    "ec2:DescribeSecurityGroups",
    "ec2:RevokeSecurityGroupEgress",
)
def _security_group(ctx: Context, i: dict[str, Any]) -> Created:
    group_id = ctx.call(
        "ec2",
        "create_security_group",
        GroupName=i["name"],
        Description=i["description"],
        VpcId=i["vpcId"],
        TagSpecifications=_spec("security-group", i.get("tags")),
    )["GroupId"]
    got = _read_group(ctx, group_id)
    # The provider revokes the default allow-all egress rule AWS adds (no egress declared).
    ctx.call(
        "ec2",
        "revoke_security_group_egress",
        GroupId=group_id,
        IpPermissions=[{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}],
    )
    want = {
        "GroupName": i["name"],
        "Description": i["description"],
        "VpcId": i["vpcId"],
        "Tags": i.get("tags", {}),
    }
    compare(ctx.resource, "DescribeSecurityGroups", want, got)
    return {"id": group_id}


@entry(
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup",
    "internal/service/ec2/vpc_default_security_group.go",
    "ec2:DescribeSecurityGroups",
    "ec2:CreateTags",
    "ec2:RevokeSecurityGroupEgress",
    "ec2:RevokeSecurityGroupIngress",
)
def _default_security_group(ctx: Context, i: dict[str, Any]) -> Created:
    groups = ctx.call(
        "ec2",
        "describe_security_groups",
        Filters=[
            {"Name": "vpc-id", "Values": [i["vpcId"]]},
            {"Name": "group-name", "Values": ["default"]},
        ],
    )
    group = groups["SecurityGroups"][0]
    group_id = group["GroupId"]
    ctx.call("ec2", "create_tags", Resources=[group_id], Tags=_tag_list(i["tags"]))
    # No rules declared: the provider removes every rule the default group had.
    for rule in group.get("IpPermissionsEgress", []):
        ctx.call("ec2", "revoke_security_group_egress", GroupId=group_id, IpPermissions=[rule])
    for rule in group.get("IpPermissions", []):
        ctx.call("ec2", "revoke_security_group_ingress", GroupId=group_id, IpPermissions=[rule])
    got = _read_group(ctx, group_id)
    compare(
        ctx.resource,
        "DescribeSecurityGroups",
        {"Tags": i["tags"], "IpPermissions": [], "IpPermissionsEgress": []},
        got,
    )
    return {"id": group_id}


@entry(
    "aws:ec2/routeTable:RouteTable",
    "internal/service/ec2/vpc_route_table.go",
    "ec2:CreateRouteTable",
    "ec2:DescribeRouteTables",
)
def _route_table(ctx: Context, i: dict[str, Any]) -> Created:
    rtb = ctx.call(
        "ec2",
        "create_route_table",
        VpcId=i["vpcId"],
        TagSpecifications=_spec("route-table", i.get("tags")),
    )["RouteTable"]
    got = ctx.call("ec2", "describe_route_tables", RouteTableIds=[rtb["RouteTableId"]])[
        "RouteTables"
    ][0]
    compare(
        ctx.resource,
        "DescribeRouteTables",
        {"VpcId": i["vpcId"], "Tags": i.get("tags", {})},
        {**got, "Tags": _tags(got.get("Tags"))},
    )
    return {"id": rtb["RouteTableId"]}


@entry(
    "aws:ec2/routeTableAssociation:RouteTableAssociation",
    "internal/service/ec2/vpc_route_table_association.go",
    "ec2:AssociateRouteTable",
    "ec2:DescribeRouteTables",
)
def _route_table_association(ctx: Context, i: dict[str, Any]) -> Created:
    association = ctx.call(
        "ec2", "associate_route_table", SubnetId=i["subnetId"], RouteTableId=i["routeTableId"]
    )["AssociationId"]
    tables = ctx.call(
        "ec2",
        "describe_route_tables",
        Filters=[{"Name": "association.route-table-association-id", "Values": [association]}],
    )["RouteTables"]
    found = [
        a for t in tables for a in t["Associations"] if a["RouteTableAssociationId"] == association
    ]
    compare(
        ctx.resource,
        "DescribeRouteTables",
        {"SubnetId": i["subnetId"], "RouteTableId": i["routeTableId"]},
        found[0] if found else {},
    )
    return {"id": association}


@entry(
    "aws:ec2/vpcEndpoint:VpcEndpoint",
    "internal/service/ec2/vpc_endpoint.go",
    "ec2:CreateVpcEndpoint",
    "ec2:DescribeVpcEndpoints",
    "ec2:DescribePrefixLists",
)
def _vpc_endpoint(ctx: Context, i: dict[str, Any]) -> Created:
    params: dict[str, Any] = {
        "VpcId": i["vpcId"],
        "ServiceName": i["serviceName"],
        "VpcEndpointType": i["vpcEndpointType"],
        "TagSpecifications": _spec("vpc-endpoint", i.get("tags")),
    }
    for key, name in (
        ("subnetIds", "SubnetIds"),
        ("securityGroupIds", "SecurityGroupIds"),
        ("routeTableIds", "RouteTableIds"),
        ("privateDnsEnabled", "PrivateDnsEnabled"),
    ):
        if key in i:
            params[name] = i[key]
    endpoint_id = ctx.call("ec2", "create_vpc_endpoint", **params)["VpcEndpoint"]["VpcEndpointId"]
    got = ctx.call("ec2", "describe_vpc_endpoints", VpcEndpointIds=[endpoint_id])["VpcEndpoints"][0]
    read = {
        **got,
        "Tags": _tags(got.get("Tags")),
        "SecurityGroupIds": sorted(g["GroupId"] for g in got.get("Groups", [])),
        "SubnetIds": sorted(got.get("SubnetIds", [])),
        "RouteTableIds": sorted(got.get("RouteTableIds", [])),
    }
    want = {
        k: sorted(v) if isinstance(v, list) and k != "TagSpecifications" else v
        for k, v in params.items()
        if k != "TagSpecifications"
    }
    want["Tags"] = i.get("tags", {})
    compare(ctx.resource, "DescribeVpcEndpoints", want, read)
    created = {"id": endpoint_id}
    if i["vpcEndpointType"] == "Gateway":
        # The provider reads the service's prefix list into prefix_list_id.
        lists = ctx.call(
            "ec2",
            "describe_prefix_lists",
            Filters=[{"Name": "prefix-list-name", "Values": [i["serviceName"]]}],
        )["PrefixLists"]
        if not lists:
            raise AssertionError(f"{ctx.resource}: DescribePrefixLists dropped prefix_list_id")
        created["prefixListId"] = lists[0]["PrefixListId"]
    return created


def _sg_rule(ctx: Context, i: dict[str, Any], direction: str) -> Created:
    permission: dict[str, Any] = {
        "IpProtocol": i["ipProtocol"],
        "FromPort": i["fromPort"],
        "ToPort": i["toPort"],
    }
    description = i.get("description")
    if "referencedSecurityGroupId" in i:
        permission["UserIdGroupPairs"] = [
            {"GroupId": i["referencedSecurityGroupId"], "Description": description}
        ]
    elif "prefixListId" in i:
        permission["PrefixListIds"] = [
            {"PrefixListId": i["prefixListId"], "Description": description}
        ]
    else:
        permission["IpRanges"] = [{"CidrIp": i["cidrIpv4"], "Description": description}]
    operation = f"authorize_security_group_{direction}"
    answer = ctx.call(
        "ec2",
        operation,
        GroupId=i["securityGroupId"],
        IpPermissions=[permission],
        TagSpecifications=_spec("security-group-rule", i.get("tags")),
    )
    rule_id = answer["SecurityGroupRules"][0]["SecurityGroupRuleId"]
    got = ctx.call("ec2", "describe_security_group_rules", SecurityGroupRuleIds=[rule_id])[
        "SecurityGroupRules"
    ][0]
    want = {
        "GroupId": i["securityGroupId"],
        "IpProtocol": i["ipProtocol"],
        "FromPort": i["fromPort"],
        "ToPort": i["toPort"],
        "IsEgress": direction == "egress",
        "Description": description,
        "Tags": i.get("tags", {}),
    }
    read = {**got, "Tags": _tags(got.get("Tags"))}
    if "referencedSecurityGroupId" in i:
        want["ReferencedGroupId"] = i["referencedSecurityGroupId"]
        read["ReferencedGroupId"] = (got.get("ReferencedGroupInfo") or {}).get("GroupId")
    elif "prefixListId" in i:
        want["PrefixListId"] = i["prefixListId"]
    else:
        want["CidrIpv4"] = i["cidrIpv4"]
    compare(ctx.resource, "DescribeSecurityGroupRules", want, read)
    return {"id": rule_id}


@entry(
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
    "internal/service/ec2/vpc_security_group_ingress_rule.go",
    "ec2:AuthorizeSecurityGroupIngress",
    "ec2:DescribeSecurityGroupRules",
)
def _ingress(ctx: Context, i: dict[str, Any]) -> Created:
    return _sg_rule(ctx, i, "ingress")


@entry(
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule",
    "internal/service/ec2/vpc_security_group_egress_rule.go",
    "ec2:AuthorizeSecurityGroupEgress",
    "ec2:DescribeSecurityGroupRules",
)
def _egress(ctx: Context, i: dict[str, Any]) -> Created:
    return _sg_rule(ctx, i, "egress")


@entry(
    "aws:ec2/flowLog:FlowLog",
    "internal/service/ec2/vpc_flow_log.go",
    "ec2:CreateFlowLogs",
    "ec2:DescribeFlowLogs",
)
def _flow_log(ctx: Context, i: dict[str, Any]) -> Created:
    answer = ctx.call(
        "ec2",
        "create_flow_logs",
        ResourceIds=[i["vpcId"]],
        ResourceType="VPC",
        TrafficType=i["trafficType"],
        LogDestinationType=i["logDestinationType"],
        LogDestination=i["logDestination"],
        DeliverLogsPermissionArn=i["iamRoleArn"],
        MaxAggregationInterval=i["maxAggregationInterval"],
        TagSpecifications=_spec("vpc-flow-log", i.get("tags")),
    )
    if answer.get("Unsuccessful"):
        raise AssertionError(f"{ctx.resource}: CreateFlowLogs failed: {answer['Unsuccessful']}")
    flow_id = answer["FlowLogIds"][0]
    got = ctx.call("ec2", "describe_flow_logs", FlowLogIds=[flow_id])["FlowLogs"][0]
    want = {
        "ResourceId": i["vpcId"],
        "TrafficType": i["trafficType"],
        "LogDestinationType": i["logDestinationType"],
        "LogDestination": i["logDestination"],
        "DeliverLogsPermissionArn": i["iamRoleArn"],
        "MaxAggregationInterval": i["maxAggregationInterval"],
        "Tags": i.get("tags", {}),
    }
    compare(ctx.resource, "DescribeFlowLogs", want, {**got, "Tags": _tags(got.get("Tags"))})
    return {"id": flow_id}


# ---- CloudWatch Logs, IAM ------------------------------------------------------------------


@entry(
    "aws:cloudwatch/logGroup:LogGroup",
    "internal/service/logs/group.go",
    "logs:CreateLogGroup",
    "logs:PutRetentionPolicy",
    "logs:DescribeLogGroups",
    "logs:ListTagsForResource",
)
def _log_group(ctx: Context, i: dict[str, Any]) -> Created:
    params: dict[str, Any] = {"logGroupName": i["name"], "tags": i.get("tags", {})}
    if "kmsKeyId" in i:
        params["kmsKeyId"] = i["kmsKeyId"]
    ctx.call("logs", "create_log_group", **params)
    if "retentionInDays" in i:
        ctx.call(
            "logs",
            "put_retention_policy",
            logGroupName=i["name"],
            retentionInDays=i["retentionInDays"],
        )
    groups = ctx.call("logs", "describe_log_groups", logGroupNamePrefix=i["name"])["logGroups"]
    got = {g["logGroupName"]: g for g in groups}.get(i["name"], {})
    want: dict[str, Any] = {k: i[k] for k in ("retentionInDays", "kmsKeyId") if k in i}
    compare(ctx.resource, "DescribeLogGroups", want, got)
    arn = got["arn"].removesuffix(":*")
    tags = ctx.call("logs", "list_tags_for_resource", resourceArn=arn)["tags"]
    compare(ctx.resource, "ListTagsForResource", {"tags": i.get("tags", {})}, {"tags": tags})
    return {"id": i["name"], "arn": arn}


@entry(
    "aws:iam/role:Role",
    "internal/service/iam/role.go",
    "iam:CreateRole",
    "iam:GetRole",
    "iam:ListRoleTags",
)
def _role(ctx: Context, i: dict[str, Any]) -> Created:
    ctx.call(
        "iam",
        "create_role",
        RoleName=i["name"],
        AssumeRolePolicyDocument=i["assumeRolePolicy"],
        Tags=_tag_list(i.get("tags")),
    )
    role = ctx.call("iam", "get_role", RoleName=i["name"])["Role"]
    compare(
        ctx.resource,
        "GetRole",
        {"AssumeRolePolicyDocument": _policy(i["assumeRolePolicy"])},
        {"AssumeRolePolicyDocument": _policy(role["AssumeRolePolicyDocument"])},
    )
    tags = ctx.call("iam", "list_role_tags", RoleName=i["name"])["Tags"]
    compare(ctx.resource, "ListRoleTags", {"Tags": i.get("tags", {})}, {"Tags": _tags(tags)})
    return {"id": i["name"], "arn": role["Arn"]}


@entry(
    "aws:iam/rolePolicy:RolePolicy",
    "internal/service/iam/role_policy.go",
    "iam:PutRolePolicy",
    "iam:GetRolePolicy",
)
def _role_policy(ctx: Context, i: dict[str, Any]) -> Created:
    name = i.get("name") or ctx.resource.split()[-1]
    ctx.call(
        "iam", "put_role_policy", RoleName=i["role"], PolicyName=name, PolicyDocument=i["policy"]
    )
    got = ctx.call("iam", "get_role_policy", RoleName=i["role"], PolicyName=name)
    compare(
        ctx.resource,
        "GetRolePolicy",
        {"PolicyDocument": _policy(i["policy"])},
        {"PolicyDocument": _policy(got["PolicyDocument"])},
    )
    return {"id": f"{i['role']}:{name}"}


# ---- S3 ------------------------------------------------------------------------------------


@entry(
    "aws:s3/bucket:Bucket",
    "internal/service/s3/bucket.go",
    "s3:CreateBucket",
    "s3:PutBucketTagging",
    "s3:HeadBucket",
    "s3:GetBucketTagging",
)
def _bucket(ctx: Context, i: dict[str, Any]) -> Created:
    ctx.call("s3", "create_bucket", Bucket=i["bucket"])
    if i.get("tags"):
        ctx.call(
            "s3",
            "put_bucket_tagging",
            Bucket=i["bucket"],
            Tagging={"TagSet": _tag_list(i["tags"])},
        )
    ctx.call("s3", "head_bucket", Bucket=i["bucket"])
    tags = ctx.call("s3", "get_bucket_tagging", Bucket=i["bucket"])["TagSet"]
    compare(
        ctx.resource, "GetBucketTagging", {"TagSet": i.get("tags", {})}, {"TagSet": _tags(tags)}
    )
    return {"id": i["bucket"], "arn": f"arn:aws:s3:::{i['bucket']}"}


def _capitalised(value: Any) -> Any:
    """pulumi-aws camelCase inputs as the S3 API's PascalCase members."""
    if isinstance(value, Mapping):
        return {k[0].upper() + k[1:]: _capitalised(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_capitalised(v) for v in value]
    return value


@entry(
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls",
    "internal/service/s3/bucket_ownership_controls.go",
    "s3:PutBucketOwnershipControls",
    "s3:GetBucketOwnershipControls",
)
def _ownership(ctx: Context, i: dict[str, Any]) -> Created:
    controls = {"Rules": [_capitalised(i["rule"])]}
    ctx.call("s3", "put_bucket_ownership_controls", Bucket=i["bucket"], OwnershipControls=controls)
    got = ctx.call("s3", "get_bucket_ownership_controls", Bucket=i["bucket"])
    compare(ctx.resource, "GetBucketOwnershipControls", {"OwnershipControls": controls}, got)
    return {"id": i["bucket"]}


@entry(
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
    "internal/service/s3/bucket_public_access_block.go",
    "s3:PutPublicAccessBlock",
    "s3:GetPublicAccessBlock",
)
def _public_access(ctx: Context, i: dict[str, Any]) -> Created:
    flags = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
    block = _capitalised({k: bool(i.get(k)) for k in flags})
    ctx.call(
        "s3", "put_public_access_block", Bucket=i["bucket"], PublicAccessBlockConfiguration=block
    )
    got = ctx.call("s3", "get_public_access_block", Bucket=i["bucket"])
    compare(ctx.resource, "GetPublicAccessBlock", block, got["PublicAccessBlockConfiguration"])
    return {"id": i["bucket"]}


@entry(
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    "internal/service/s3/bucket_server_side_encryption_configuration.go",
    "s3:PutBucketEncryption",
    "s3:GetBucketEncryption",
)
def _encryption(ctx: Context, i: dict[str, Any]) -> Created:
    rules = [
        {
            "ApplyServerSideEncryptionByDefault": {
                "SSEAlgorithm": r["applyServerSideEncryptionByDefault"]["sseAlgorithm"],
                **(
                    {"KMSMasterKeyID": r["applyServerSideEncryptionByDefault"]["kmsMasterKeyId"]}
                    if "kmsMasterKeyId" in r["applyServerSideEncryptionByDefault"]
                    else {}
                ),
            },
            **({"BucketKeyEnabled": r["bucketKeyEnabled"]} if "bucketKeyEnabled" in r else {}),
        }
        for r in i["rules"]
    ]
    ctx.call(
        "s3",
        "put_bucket_encryption",
        Bucket=i["bucket"],
        ServerSideEncryptionConfiguration={"Rules": rules},
    )
    got = ctx.call("s3", "get_bucket_encryption", Bucket=i["bucket"])[
        "ServerSideEncryptionConfiguration"
    ]
    compare(ctx.resource, "GetBucketEncryption", {"Rules": rules}, got)
    return {"id": i["bucket"]}


@entry(
    "aws:s3/bucketVersioning:BucketVersioning",
    "internal/service/s3/bucket_versioning.go",
    "s3:PutBucketVersioning",
    "s3:GetBucketVersioning",
)
def _versioning(ctx: Context, i: dict[str, Any]) -> Created:
    status = i["versioningConfiguration"]["status"]
    ctx.call(
        "s3",
        "put_bucket_versioning",
        Bucket=i["bucket"],
        VersioningConfiguration={"Status": status},
    )
    got = ctx.call("s3", "get_bucket_versioning", Bucket=i["bucket"])
    compare(ctx.resource, "GetBucketVersioning", {"Status": status}, got)
    return {"id": i["bucket"]}


@entry(
    "aws:s3/bucketPolicy:BucketPolicy",
    "internal/service/s3/bucket_policy.go",
    "s3:PutBucketPolicy",
    "s3:GetBucketPolicy",
)
def _bucket_policy(ctx: Context, i: dict[str, Any]) -> Created:
    ctx.call("s3", "put_bucket_policy", Bucket=i["bucket"], Policy=i["policy"])
    got = ctx.call("s3", "get_bucket_policy", Bucket=i["bucket"])["Policy"]
    compare(
        ctx.resource, "GetBucketPolicy", {"Policy": _policy(i["policy"])}, {"Policy": _policy(got)}
    )
    return {"id": i["bucket"]}


@entry(
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
    "internal/service/s3/bucket_lifecycle_configuration.go",
    "s3:PutBucketLifecycleConfiguration",
    "s3:GetBucketLifecycleConfiguration",
)
def _lifecycle(ctx: Context, i: dict[str, Any]) -> Created:
    rules = []
    for rule in i["rules"]:
        r = _capitalised(rule)
        r["ID"] = r.pop("Id")
        if "Transitions" in r:
            r["Transitions"] = [
                {"Days": t["Days"], "StorageClass": t["StorageClass"]} for t in r["Transitions"]
            ]
        if "NoncurrentVersionExpiration" in r:
            r["NoncurrentVersionExpiration"] = {
                "NoncurrentDays": r["NoncurrentVersionExpiration"]["NoncurrentDays"]
            }
        rules.append(r)
    ctx.call(
        "s3",
        "put_bucket_lifecycle_configuration",
        Bucket=i["bucket"],
        LifecycleConfiguration={"Rules": rules},
    )
    got = ctx.call("s3", "get_bucket_lifecycle_configuration", Bucket=i["bucket"])["Rules"]
    by_id = {g["ID"]: g for g in got}
    for want in rules:
        compare(
            ctx.resource,
            f"GetBucketLifecycleConfiguration rule {want['ID']}",
            want,
            by_id.get(want["ID"], {}),
        )
    return {"id": i["bucket"]}


# ---- DynamoDB, Application Auto Scaling ----------------------------------------------------


@entry(
    "aws:dynamodb/table:Table",
    "internal/service/dynamodb/table.go",
    "dynamodb:CreateTable",
    "dynamodb:DescribeTable",
    "dynamodb:UpdateContinuousBackups",
    "dynamodb:DescribeContinuousBackups",
    "dynamodb:ListTagsOfResource",
)
def _table(ctx: Context, i: dict[str, Any]) -> Created:
    keys = [{"AttributeName": i["hashKey"], "KeyType": "HASH"}]
    if "rangeKey" in i:
        keys.append({"AttributeName": i["rangeKey"], "KeyType": "RANGE"})
    params: dict[str, Any] = {
        "TableName": i["name"],
        "KeySchema": keys,
        "BillingMode": i.get("billingMode", "PROVISIONED"),
        "AttributeDefinitions": [
            {"AttributeName": a["name"], "AttributeType": a["type"]} for a in i["attributes"]
        ],
        "Tags": _tag_list(i.get("tags")),
        "DeletionProtectionEnabled": bool(i.get("deletionProtectionEnabled")),
    }
    if params["BillingMode"] == "PROVISIONED":
        params["ProvisionedThroughput"] = {
            "ReadCapacityUnits": i["readCapacity"],
            "WriteCapacityUnits": i["writeCapacity"],
        }
    sse = i.get("serverSideEncryption") or {}
    if sse.get("enabled"):
        params["SSESpecification"] = {
            "Enabled": True,
            "SSEType": "KMS",
            **({"KMSMasterKeyId": sse["kmsKeyArn"]} if "kmsKeyArn" in sse else {}),
        }
    table = ctx.call("dynamodb", "create_table", **params)["TableDescription"]
    got = ctx.call("dynamodb", "describe_table", TableName=i["name"])["Table"]
    read = {
        **got,
        "BillingMode": (got.get("BillingModeSummary") or {}).get("BillingMode", "PROVISIONED"),
    }
    want: dict[str, Any] = {
        "KeySchema": keys,
        "BillingMode": params["BillingMode"],
        "DeletionProtectionEnabled": params["DeletionProtectionEnabled"],
    }
    compare(ctx.resource, "DescribeTable", want, read)
    compare(
        ctx.resource,
        "DescribeTable",
        {
            "AttributeDefinitions": sorted(
                params["AttributeDefinitions"], key=lambda a: a["AttributeName"]
            )
        },
        {
            "AttributeDefinitions": sorted(
                got["AttributeDefinitions"], key=lambda a: a["AttributeName"]
            )
        },
    )
    if "ProvisionedThroughput" in params:
        through = got["ProvisionedThroughput"]
        compare(ctx.resource, "DescribeTable", params["ProvisionedThroughput"], through)
    if sse.get("enabled"):
        description = got.get("SSEDescription") or {}
        compare(
            ctx.resource,
            "DescribeTable",
            {
                "SSEDescription.Status": "ENABLED",
                "SSEDescription.SSEType": "KMS",
                **(
                    {"SSEDescription.KMSMasterKeyArn": sse["kmsKeyArn"]}
                    if "kmsKeyArn" in sse
                    else {}
                ),
            },
            {f"SSEDescription.{k}": v for k, v in description.items()},
        )
    pitr = bool((i.get("pointInTimeRecovery") or {}).get("enabled"))
    if pitr:
        ctx.call(
            "dynamodb",
            "update_continuous_backups",
            TableName=i["name"],
            PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True},
        )
    backups = ctx.call("dynamodb", "describe_continuous_backups", TableName=i["name"])[
        "ContinuousBackupsDescription"
    ]
    status = backups.get("PointInTimeRecoveryDescription", {}).get("PointInTimeRecoveryStatus")
    compare(
        ctx.resource,
        "DescribeContinuousBackups",
        {"PointInTimeRecoveryStatus": "ENABLED" if pitr else "DISABLED"},
        {"PointInTimeRecoveryStatus": status},
    )
    tags = ctx.call("dynamodb", "list_tags_of_resource", ResourceArn=table["TableArn"])["Tags"]
    compare(ctx.resource, "ListTagsOfResource", {"Tags": i.get("tags", {})}, {"Tags": _tags(tags)})
    return {"id": i["name"], "arn": table["TableArn"]}


@entry(
    "aws:appautoscaling/target:Target",
    "internal/service/appautoscaling/target.go",
    "application-autoscaling:RegisterScalableTarget",
    "application-autoscaling:DescribeScalableTargets",
    "application-autoscaling:ListTagsForResource",
)
def _scaling_target(ctx: Context, i: dict[str, Any]) -> Created:
    key = {
        "ServiceNamespace": i["serviceNamespace"],
        "ResourceId": i["resourceId"],
        "ScalableDimension": i["scalableDimension"],
    }
    limits = {"MinCapacity": i["minCapacity"], "MaxCapacity": i["maxCapacity"]}
    arn = ctx.call(
        "application-autoscaling",
        "register_scalable_target",
        **key,
        **limits,
        Tags=i.get("tags", {}),
    )["ScalableTargetARN"]
    targets = ctx.call(
        "application-autoscaling",
        "describe_scalable_targets",
        ServiceNamespace=key["ServiceNamespace"],
        ResourceIds=[key["ResourceId"]],
        ScalableDimension=key["ScalableDimension"],
    )["ScalableTargets"]
    compare(
        ctx.resource, "DescribeScalableTargets", {**key, **limits}, targets[0] if targets else {}
    )
    tags = ctx.call("application-autoscaling", "list_tags_for_resource", ResourceARN=arn)["Tags"]
    compare(ctx.resource, "ListTagsForResource", {"Tags": i.get("tags", {})}, {"Tags": tags})
    return {"id": i["resourceId"], "arn": arn}


@entry(
    "aws:appautoscaling/policy:Policy",
    "internal/service/appautoscaling/policy.go",
    "application-autoscaling:PutScalingPolicy",
    "application-autoscaling:DescribeScalingPolicies",
)
def _scaling_policy(ctx: Context, i: dict[str, Any]) -> Created:
    tracking = i["targetTrackingScalingPolicyConfiguration"]
    config = {
        "TargetValue": float(tracking["targetValue"]),
        "PredefinedMetricSpecification": {
            "PredefinedMetricType": tracking["predefinedMetricSpecification"][
                "predefinedMetricType"
            ]
        },
    }
    params = {
        "PolicyName": i["name"],
        "ServiceNamespace": i["serviceNamespace"],
        "ResourceId": i["resourceId"],
        "ScalableDimension": i["scalableDimension"],
        "PolicyType": i["policyType"],
    }
    arn = ctx.call(
        "application-autoscaling",
        "put_scaling_policy",
        **params,
        TargetTrackingScalingPolicyConfiguration=config,
    )["PolicyARN"]
    policies = ctx.call(
        "application-autoscaling",
        "describe_scaling_policies",
        PolicyNames=[i["name"]],
        ServiceNamespace=i["serviceNamespace"],
        ResourceId=i["resourceId"],
        ScalableDimension=i["scalableDimension"],
    )["ScalingPolicies"]
    got = policies[0] if policies else {}
    compare(ctx.resource, "DescribeScalingPolicies", params, got)
    read = got.get("TargetTrackingScalingPolicyConfiguration") or {}
    compare(ctx.resource, "DescribeScalingPolicies", config, read)
    return {"id": i["name"], "arn": arn}


@entry(
    "aws:appautoscaling/scheduledAction:ScheduledAction",
    "internal/service/appautoscaling/scheduled_action.go",
    "application-autoscaling:PutScheduledAction",
    "application-autoscaling:DescribeScheduledActions",
)
def _scheduled_action(ctx: Context, i: dict[str, Any]) -> Created:
    # No tags: the resource has none. Read back by name within the target's namespace and
    # resource id (FindScheduledAction), then schedule, timezone and the action compared.
    action = i["scalableTargetAction"]
    params = {
        "ScheduledActionName": i["name"],
        "ServiceNamespace": i["serviceNamespace"],
        "ResourceId": i["resourceId"],
        "ScalableDimension": i["scalableDimension"],
        "Schedule": i["schedule"],
        "Timezone": i["timezone"],
        "ScalableTargetAction": {
            "MinCapacity": action["minCapacity"],
            "MaxCapacity": action["maxCapacity"],
        },
    }
    ctx.call("application-autoscaling", "put_scheduled_action", **params)
    actions = ctx.call(
        "application-autoscaling",
        "describe_scheduled_actions",
        ScheduledActionNames=[i["name"]],
        ServiceNamespace=i["serviceNamespace"],
        ResourceId=i["resourceId"],
    )["ScheduledActions"]
    got = actions[0] if actions else {}
    compare(ctx.resource, "DescribeScheduledActions", params, got)
    return {"id": i["name"], "arn": got.get("ScheduledActionARN", "")}


# ---- Kinesis, SQS, SNS ---------------------------------------------------------------------


@entry(
    "aws:kinesis/stream:Stream",
    "internal/service/kinesis/stream.go",
    "kinesis:CreateStream",
    "kinesis:DescribeStreamSummary",
    "kinesis:IncreaseStreamRetentionPeriod",
    "kinesis:StartStreamEncryption",
    "kinesis:ListTagsForStream",
)
def _stream(ctx: Context, i: dict[str, Any]) -> Created:
    mode = (i.get("streamModeDetails") or {}).get("streamMode", "PROVISIONED")
    params: dict[str, Any] = {"StreamName": i["name"], "StreamModeDetails": {"StreamMode": mode}}
    if mode == "PROVISIONED":
        params["ShardCount"] = i["shardCount"]
    if i.get("tags"):
        params["Tags"] = i["tags"]
    ctx.call("kinesis", "create_stream", **params)
    summary = ctx.call("kinesis", "describe_stream_summary", StreamName=i["name"])[
        "StreamDescriptionSummary"
    ]
    # The provider increases the retention whenever it is set (default 24, so always).
    if i.get("retentionPeriod", 24) > 0:
        ctx.call(
            "kinesis",
            "increase_stream_retention_period",
            StreamName=i["name"],
            RetentionPeriodHours=i.get("retentionPeriod", 24),
        )
    if i.get("encryptionType") == "KMS":
        ctx.call(
            "kinesis",
            "start_stream_encryption",
            StreamName=i["name"],
            EncryptionType="KMS",
            KeyId=i["kmsKeyId"],
        )
    summary = ctx.call("kinesis", "describe_stream_summary", StreamName=i["name"])[
        "StreamDescriptionSummary"
    ]
    want = {
        "RetentionPeriodHours": i.get("retentionPeriod", 24),
        "EncryptionType": i.get("encryptionType", "NONE"),
        "StreamMode": mode,
    }
    if mode == "PROVISIONED":
        want["OpenShardCount"] = i["shardCount"]
    if i.get("encryptionType") == "KMS":
        want["KeyId"] = i["kmsKeyId"]
    read = {**summary, "StreamMode": (summary.get("StreamModeDetails") or {}).get("StreamMode")}
    compare(ctx.resource, "DescribeStreamSummary", want, read)
    tags = ctx.call("kinesis", "list_tags_for_stream", StreamName=i["name"])["Tags"]
    compare(ctx.resource, "ListTagsForStream", {"Tags": i.get("tags", {})}, {"Tags": _tags(tags)})
    return {"id": summary["StreamARN"], "arn": summary["StreamARN"]}


_QUEUE_ATTRIBUTES = {
    "kmsMasterKeyId": "KmsMasterKeyId",
    "messageRetentionSeconds": "MessageRetentionPeriod",
    "visibilityTimeoutSeconds": "VisibilityTimeout",
    "delaySeconds": "DelaySeconds",
    "maxMessageSize": "MaximumMessageSize",
    "receiveWaitTimeSeconds": "ReceiveMessageWaitTimeSeconds",
    "kmsDataKeyReusePeriodSeconds": "KmsDataKeyReusePeriodSeconds",
    "policy": "Policy",
}


@entry(
    "aws:sqs/queue:Queue",
    "internal/service/sqs/queue.go",
    "sqs:CreateQueue",
    "sqs:GetQueueAttributes",
    "sqs:ListQueueTags",
)
def _queue(ctx: Context, i: dict[str, Any]) -> Created:
    attributes = {name: str(i[key]) for key, name in _QUEUE_ATTRIBUTES.items() if key in i}
    url = ctx.call(
        "sqs", "create_queue", QueueName=i["name"], Attributes=attributes, tags=i.get("tags", {})
    )["QueueUrl"]
    got = ctx.call("sqs", "get_queue_attributes", QueueUrl=url, AttributeNames=["All"])[
        "Attributes"
    ]
    compare(ctx.resource, "GetQueueAttributes", attributes, got)
    tags = ctx.call("sqs", "list_queue_tags", QueueUrl=url).get("Tags", {})
    compare(ctx.resource, "ListQueueTags", {"Tags": i.get("tags", {})}, {"Tags": tags})
    return {"id": url, "url": url, "arn": got["QueueArn"]}


@entry(
    "aws:sns/topic:Topic",
    "internal/service/sns/topic.go",
    "sns:CreateTopic",
    "sns:GetTopicAttributes",
    "sns:ListTagsForResource",
)
def _topic(ctx: Context, i: dict[str, Any]) -> Created:
    attributes = {"KmsMasterKeyId": i["kmsMasterKeyId"]} if "kmsMasterKeyId" in i else {}
    arn = ctx.call(
        "sns",
        "create_topic",
        Name=i["name"],
        Attributes=attributes,
        Tags=_tag_list(i.get("tags")),
    )["TopicArn"]
    got = ctx.call("sns", "get_topic_attributes", TopicArn=arn)["Attributes"]
    compare(ctx.resource, "GetTopicAttributes", attributes, got)
    tags = ctx.call("sns", "list_tags_for_resource", ResourceArn=arn)["Tags"]
    compare(ctx.resource, "ListTagsForResource", {"Tags": i.get("tags", {})}, {"Tags": _tags(tags)})
    return {"id": arn, "arn": arn}


@entry(
    "aws:sns/topicPolicy:TopicPolicy",
    "internal/service/sns/topic_policy.go",
    "sns:SetTopicAttributes",
    "sns:GetTopicAttributes",
)
def _topic_policy(ctx: Context, i: dict[str, Any]) -> Created:
    ctx.call(
        "sns",
        "set_topic_attributes",
        TopicArn=i["arn"],
        AttributeName="Policy",
        AttributeValue=i["policy"],
    )
    got = ctx.call("sns", "get_topic_attributes", TopicArn=i["arn"])["Attributes"]
    compare(
        ctx.resource,
        "GetTopicAttributes",
        {"Policy": _policy(i["policy"])},
        {"Policy": _policy(got.get("Policy"))},
    )
    return {"id": i["arn"]}


# ---- CloudWatch ----------------------------------------------------------------------------


def _dimensions(value: Mapping[str, str]) -> list[dict[str, str]]:
    return [{"Name": k, "Value": v} for k, v in value.items()]


def _query(q: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"Id": q["id"], "ReturnData": q.get("returnData", False)}
    if "expression" in q:
        out["Expression"] = q["expression"]
    if "label" in q:
        out["Label"] = q["label"]
    if "metric" in q:
        m = q["metric"]
        out["MetricStat"] = {
            "Metric": {
                "Namespace": m["namespace"],
                "MetricName": m["metricName"],
                "Dimensions": _dimensions(m.get("dimensions", {})),
            },
            "Period": m["period"],
            "Stat": m["stat"],
        }
    return out


_ALARM_FIELDS = {
    "comparisonOperator": "ComparisonOperator",
    "evaluationPeriods": "EvaluationPeriods",
    "threshold": "Threshold",
    "datapointsToAlarm": "DatapointsToAlarm",
    "alarmDescription": "AlarmDescription",
    "treatMissingData": "TreatMissingData",
    "alarmActions": "AlarmActions",
    "okActions": "OKActions",
    "namespace": "Namespace",
    "metricName": "MetricName",
    "statistic": "Statistic",
    "period": "Period",
    "actionsEnabled": "ActionsEnabled",
    "insufficientDataActions": "InsufficientDataActions",
}


@entry(
    "aws:cloudwatch/metricAlarm:MetricAlarm",
    "internal/service/cloudwatch/metric_alarm.go",
    "cloudwatch:PutMetricAlarm",
    "cloudwatch:DescribeAlarms",
    "cloudwatch:ListTagsForResource",
)
def _alarm(ctx: Context, i: dict[str, Any]) -> Created:
    params: dict[str, Any] = {v: i[k] for k, v in _ALARM_FIELDS.items() if k in i}
    if "threshold" in params:
        params["Threshold"] = float(params["Threshold"])
    if "dimensions" in i:
        params["Dimensions"] = _dimensions(i["dimensions"])
    if "metricQueries" in i:
        params["Metrics"] = [_query(q) for q in i["metricQueries"]]
    ctx.call(
        "cloudwatch",
        "put_metric_alarm",
        AlarmName=i["name"],
        **params,
        Tags=_tag_list(i.get("tags")),
    )
    alarms = ctx.call("cloudwatch", "describe_alarms", AlarmNames=[i["name"]])["MetricAlarms"]
    got = alarms[0] if alarms else {}
    compare(ctx.resource, "DescribeAlarms", params, got)
    tags = ctx.call("cloudwatch", "list_tags_for_resource", ResourceARN=got["AlarmArn"])["Tags"]
    compare(ctx.resource, "ListTagsForResource", {"Tags": i.get("tags", {})}, {"Tags": _tags(tags)})
    return {"id": i["name"], "arn": got["AlarmArn"]}


@entry(
    "aws:cloudwatch/dashboard:Dashboard",
    "internal/service/cloudwatch/dashboard.go",
    "cloudwatch:PutDashboard",
    "cloudwatch:GetDashboard",
)
def _dashboard(ctx: Context, i: dict[str, Any]) -> Created:
    ctx.call(
        "cloudwatch",
        "put_dashboard",
        DashboardName=i["dashboardName"],
        DashboardBody=i["dashboardBody"],
    )
    got = ctx.call("cloudwatch", "get_dashboard", DashboardName=i["dashboardName"])
    # The provider compares the body as JSON (verify.SuppressEquivalentJSONDiffs).
    compare(
        ctx.resource,
        "GetDashboard",
        {"DashboardBody": json.loads(i["dashboardBody"])},
        {"DashboardBody": json.loads(got["DashboardBody"])},
    )
    return {"id": i["dashboardName"], "dashboardArn": got["DashboardArn"]}


# ---- Lambda --------------------------------------------------------------------------------

PACKAGES: dict[str, bytes] = {}  # archive path -> the bytes the provider uploads


def _package(path: str) -> bytes:
    if path not in PACKAGES:
        from shared.packaging import build_package

        function = Path(path).stem
        PACKAGES[path] = build_package(function).path.read_bytes()
    return PACKAGES[path]


@entry(
    "aws:lambda/function:Function",
    "internal/service/lambda/function.go",
    "lambda:CreateFunction",
    "lambda:PutFunctionConcurrency",
    "lambda:GetFunction",
    "lambda:ListVersionsByFunction",
    "lambda:GetFunctionCodeSigningConfig",
)
def _function(ctx: Context, i: dict[str, Any]) -> Created:
    params: dict[str, Any] = {
        "FunctionName": i["name"],
        "Role": i["role"],
        "Runtime": i["runtime"],
        "Handler": i["handler"],
        "Code": {"ZipFile": _package(i["code"]["archive"]["path"])},
        "Timeout": i.get("timeout", 3),
        "MemorySize": i.get("memorySize", 128),
        "Architectures": i.get("architectures", ["x86_64"]),
        "Tags": i.get("tags", {}),
    }
    if "environment" in i:
        params["Environment"] = {"Variables": i["environment"]["variables"]}
    if "vpcConfig" in i:
        params["VpcConfig"] = {
            "SubnetIds": i["vpcConfig"]["subnetIds"],
            "SecurityGroupIds": i["vpcConfig"]["securityGroupIds"],
        }
    if "kmsKeyArn" in i:
        params["KMSKeyArn"] = i["kmsKeyArn"]
    if "tracingConfig" in i:
        params["TracingConfig"] = {"Mode": i["tracingConfig"]["mode"]}
    if "deadLetterConfig" in i:
        params["DeadLetterConfig"] = {"TargetArn": i["deadLetterConfig"]["targetArn"]}
    if "loggingConfig" in i:
        params["LoggingConfig"] = _capitalised(i["loggingConfig"])
    created = ctx.call("lambda", "create_function", **params)
    if "reservedConcurrentExecutions" in i:
        ctx.call(
            "lambda",
            "put_function_concurrency",
            FunctionName=i["name"],
            ReservedConcurrentExecutions=i["reservedConcurrentExecutions"],
        )
    got = ctx.call("lambda", "get_function", FunctionName=i["name"])
    config = dict(got["Configuration"])
    if "VpcConfig" in config:
        config["VpcConfig"] = {
            k: sorted(v)
            for k, v in config["VpcConfig"].items()
            if k in ("SubnetIds", "SecurityGroupIds")
        }
    want = {k: v for k, v in params.items() if k not in ("Code", "Tags")}
    if "VpcConfig" in want:
        want["VpcConfig"] = {k: sorted(v) for k, v in want["VpcConfig"].items()}
    compare(ctx.resource, "GetFunction", want, config)
    # The provider compares source_code_hash with CodeSha256.
    if "sourceCodeHash" in i:
        compare(ctx.resource, "GetFunction", {"CodeSha256": i["sourceCodeHash"]}, config)
    # resourceFunctionRead takes the concurrency and the tags from GetFunction's answer.
    concurrency = (got.get("Concurrency") or {}).get("ReservedConcurrentExecutions", -1)
    compare(
        ctx.resource,
        "GetFunction",
        {"Concurrency": i.get("reservedConcurrentExecutions", -1), "Tags": i.get("tags", {})},
        {"Concurrency": concurrency, "Tags": got.get("Tags", {})},
    )
    # qualified_arn and version come from the latest version.
    versions = ctx.call("lambda", "list_versions_by_function", FunctionName=i["name"])["Versions"]
    compare(ctx.resource, "ListVersionsByFunction", {"Version": "$LATEST"}, versions[-1])
    # us-east-1 has Signer, so the provider reads the (absent) code signing config too.
    ctx.call("lambda", "get_function_code_signing_config", FunctionName=i["name"])
    arn = created["FunctionArn"]
    return {"id": i["name"], "arn": arn, "qualifiedArn": f"{arn}:$LATEST"}


_MAPPING_FIELDS = {
    "batchSize": "BatchSize",
    "bisectBatchOnFunctionError": "BisectBatchOnFunctionError",
    "startingPosition": "StartingPosition",
    "maximumRetryAttempts": "MaximumRetryAttempts",
    "maximumBatchingWindowInSeconds": "MaximumBatchingWindowInSeconds",
    "parallelizationFactor": "ParallelizationFactor",
    "maximumRecordAgeInSeconds": "MaximumRecordAgeInSeconds",
    "functionResponseTypes": "FunctionResponseTypes",
    "eventSourceArn": "EventSourceArn",
}


@entry(
    "aws:lambda/eventSourceMapping:EventSourceMapping",
    "internal/service/lambda/event_source_mapping.go",
    "lambda:CreateEventSourceMapping",
    "lambda:GetEventSourceMapping",
    "lambda:ListTags",
)
def _mapping(ctx: Context, i: dict[str, Any]) -> Created:
    params: dict[str, Any] = {v: i[k] for k, v in _MAPPING_FIELDS.items() if k in i}
    if "destinationConfig" in i:
        params["DestinationConfig"] = {
            "OnFailure": {"Destination": i["destinationConfig"]["onFailure"]["destinationArn"]}
        }
    created = ctx.call(
        "lambda",
        "create_event_source_mapping",
        FunctionName=i["functionName"],
        **params,
        Tags=i.get("tags", {}),
    )
    got = ctx.call("lambda", "get_event_source_mapping", UUID=created["UUID"])
    want = dict(params)  # Lambda returns every one, StartingPosition included
    want["FunctionArn"] = i["functionName"]
    compare(ctx.resource, "GetEventSourceMapping", want, got)
    arn = got.get("EventSourceMappingArn") or (
        i["functionName"].split(":function:")[0] + f":event-source-mapping:{created['UUID']}"
    )
    tags = ctx.call("lambda", "list_tags", Resource=arn)["Tags"]
    compare(ctx.resource, "ListTags", {"Tags": i.get("tags", {})}, {"Tags": tags})
    return {"id": created["UUID"], "uuid": created["UUID"]}

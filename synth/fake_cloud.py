"""Pulumi mocks that record every registration and answer like a small, deterministic AWS."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pulumi
from pulumi.runtime.mocks import MockMonitor

FAKE_ACCOUNT_ID = "123456789012"
STACK_REFERENCE = "pulumi:pulumi:StackReference"

# Physical IDs AWS gives by prefix; everything else is identified by its name.
_ID_PREFIX = {
    "aws:ec2/vpc:Vpc": "vpc",
    "aws:ec2/subnet:Subnet": "subnet",
    "aws:ec2/routeTable:RouteTable": "rtb",
    "aws:ec2/routeTableAssociation:RouteTableAssociation": "rtbassoc",
    "aws:ec2/vpcEndpoint:VpcEndpoint": "vpce",
    "aws:ec2/securityGroup:SecurityGroup": "sg",
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": "sg",
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": "sgr",
    "aws:ec2/flowLog:FlowLog": "fl",
}


class UnknownStackError(Exception):
    """A StackReference to a stack that was never deployed (the engine fails the same way)."""


# How zone IDs abbreviate a region's direction (use1, apne1, euc1).
_DIRECTIONS = {
    "northeast": "ne",
    "northwest": "nw",
    "southeast": "se",
    "southwest": "sw",
    "central": "c",
}


@dataclass(frozen=True)
class Registration:
    """One resource as the engine received it."""

    type: str
    name: str
    inputs: Mapping[str, Any]
    custom: bool


@dataclass(frozen=True)
class Options:
    """The resource options a program sent with a registration (RegisterResourceRequest)."""

    urn: str
    parent: str
    dependencies: tuple[str, ...]
    protect: bool
    retain_on_delete: bool
    ignore_changes: tuple[str, ...] = ()
    # customTimeouts as sent ({} when none): "create", "update", "delete" durations.
    custom_timeouts: tuple[tuple[str, str], ...] = ()


class RecordingMonitor(MockMonitor):
    """Pulumi's mock monitor, keeping each registration's options as the request carried them.

    `Mocks.new_resource` sees inputs only; protect, retainOnDelete, the parent and the
    dependencies travel in the RegisterResourceRequest the SDK builds from ResourceOptions
    (pulumi/runtime/resource.py), which this reads before the mock monitor answers it.
    """

    def __init__(self, mocks: pulumi.runtime.Mocks) -> None:
        super().__init__(mocks)
        self.options: dict[tuple[str, str], Options] = {}

    def RegisterResource(self, request: Any) -> Any:  # noqa: N802  the gRPC method's name
        response = super().RegisterResource(request)  # type: ignore[no-untyped-call]
        self.options[(request.type, request.name)] = Options(
            urn=response.urn,
            parent=request.parent,
            dependencies=tuple(request.dependencies),
            protect=bool(request.protect),
            retain_on_delete=bool(request.retainOnDelete),
            ignore_changes=tuple(request.ignoreChanges),
            custom_timeouts=tuple(
                (kind, getattr(request.customTimeouts, kind))
                for kind in ("create", "update", "delete")
                if getattr(request.customTimeouts, kind)
            ),
        )
        return response


@dataclass
class FakeCloud(pulumi.runtime.Mocks):
    """Records registrations; serves StackReferences from `stacks` ("project/stack" -> outputs).

    References are matched on project and stack only, so any organization reaches them; the
    full name the program asked for is in its recorded inputs.
    """

    region: str
    stacks: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    zone_count: int = 6
    registrations: list[Registration] = field(default_factory=list)

    def new_resource(
        self, args: pulumi.runtime.MockResourceArgs
    ) -> tuple[str | None, dict[str, Any]]:
        self.registrations.append(Registration(args.typ, args.name, args.inputs, bool(args.custom)))
        if args.typ == STACK_REFERENCE:
            stack = str(args.inputs["name"])
            project_stack = "/".join(stack.split("/")[-2:])
            if project_stack not in self.stacks:
                # What the engine says for a stack that was never deployed.
                raise UnknownStackError(f"unknown stack {stack!r}")
            outputs = dict(self.stacks[project_stack])
            return stack, {"name": stack, "outputs": outputs, "secretOutputNames": []}
        if not args.custom:
            return None, {}
        return self._physical_id(args), {**args.inputs, **self._computed(args)}

    def call(
        self, args: pulumi.runtime.MockCallArgs
    ) -> tuple[dict[str, Any], list[tuple[str, str]]]:
        return self._answer(args.token), []

    def _answer(self, token: str) -> dict[str, Any]:
        if token == "aws:index/getAvailabilityZones:getAvailabilityZones":
            return {
                "names": [name for name, _ in self._zones()],
                "zoneIds": [zone_id for _, zone_id in self._zones()],
                "state": "available",
            }
        if token == "aws:ec2/getVpcEndpointService:getVpcEndpointService":
            # Every zone, as moto and most regions offer SQS.
            return {"availabilityZones": [name for name, _ in self._zones()], "id": "sqs"}
        if token == "aws:index/getCallerIdentity:getCallerIdentity":
            return {
                "accountId": FAKE_ACCOUNT_ID,
                "arn": f"arn:aws:iam::{FAKE_ACCOUNT_ID}:user/synth",
                "userId": "AIDASYNTH",
                "id": FAKE_ACCOUNT_ID,
            }
        if token == "aws:index/getPartition:getPartition":
            return {"partition": "aws", "dnsSuffix": "amazonaws.com", "id": "aws"}
        if token == "aws:index/getRegion:getRegion":
            return {"name": self.region, "region": self.region, "id": self.region}
        # An unanswered invoke would yield None fields silently; fail loudly instead.
        raise NotImplementedError(f"fake cloud has no answer for invoke {token}")

    def _zones(self) -> list[tuple[str, str]]:
        """Zone names and IDs as an account sees them: names map to IDs in no order (this
        mapping is moto's for us-east-1), so a choice by name and one by ID differ."""
        ids = ("az6", "az1", "az2", "az4", "az3", "az5", "az7", "az8")[: self.zone_count]
        area, direction, number = self.region.split("-")
        prefix = f"{area}{_DIRECTIONS.get(direction, direction[0])}{number}"  # us-east-1: use1
        letters = "abcdefgh"[: len(ids)]
        return [(f"{self.region}{c}", f"{prefix}-{i}") for c, i in zip(letters, ids, strict=True)]

    def _physical_id(self, args: pulumi.runtime.MockResourceArgs) -> str:
        prefix = _ID_PREFIX.get(args.typ)
        if prefix:
            digest = hashlib.sha256(f"{self.region}/{args.typ}/{args.name}".encode()).hexdigest()
            return f"{prefix}-{digest[:17]}"
        inputs = args.inputs
        if args.typ in ("aws:kinesis/stream:Stream", "aws:sqs/queue:Queue", "aws:kms/key:Key"):
            # The provider identifies a stream by its ARN, a queue by its URL, a key by its id.
            computed = self._computed(args)
            return str(computed.get("url") or computed.get("keyId") or computed["arn"])
        return str(inputs.get("name") or inputs.get("bucket") or args.name)

    def _computed(self, args: pulumi.runtime.MockResourceArgs) -> dict[str, Any]:
        """The outputs AWS computes that the programs read."""
        inputs, region, account = args.inputs, self.region, FAKE_ACCOUNT_ID
        name = inputs.get("name")
        typ = args.typ
        arn_of = {
            "aws:dynamodb/table:Table": f"arn:aws:dynamodb:{region}:{account}:table/{name}",
            "aws:cloudwatch/logGroup:LogGroup": f"arn:aws:logs:{region}:{account}:log-group:{name}",
            "aws:iam/role:Role": f"arn:aws:iam::{account}:role/{name}",
            "aws:kinesis/stream:Stream": f"arn:aws:kinesis:{region}:{account}:stream/{name}",
            "aws:sns/topic:Topic": f"arn:aws:sns:{region}:{account}:{name}",
            "aws:cloudwatch/metricAlarm:MetricAlarm": (
                f"arn:aws:cloudwatch:{region}:{account}:alarm:{name}"
            ),
        }
        if typ in arn_of:
            return {"arn": arn_of[typ]}
        if typ == "aws:s3/bucket:Bucket":
            return {"arn": f"arn:aws:s3:::{inputs['bucket']}", "bucket": inputs["bucket"]}
        if typ == "aws:lambda/function:Function":
            arn = f"arn:aws:lambda:{region}:{account}:function:{name}"
            return {"arn": arn, "qualifiedArn": f"{arn}:$LATEST", "version": "$LATEST"}
        if typ == "aws:kms/key:Key":
            key_id = hashlib.sha256(f"{region}/{args.name}".encode()).hexdigest()[:32]
            return {"arn": f"arn:aws:kms:{region}:{account}:key/{key_id}", "keyId": key_id}
        if typ == "aws:sqs/queue:Queue":
            return {
                "arn": f"arn:aws:sqs:{region}:{account}:{name}",
                "url": f"https://sqs.{region}.amazonaws.com/{account}/{name}",
            }
        if typ == "aws:cloudwatch/dashboard:Dashboard":
            dashboard = inputs["dashboardName"]
            return {"dashboardArn": f"arn:aws:cloudwatch::{account}:dashboard/{dashboard}"}
        if typ == "aws:lambda/eventSourceMapping:EventSourceMapping":
            digest = hashlib.sha256(f"{region}/{args.name}".encode()).hexdigest()
            return {"uuid": str(uuid.UUID(digest[:32]))}
        if typ == "aws:ec2/vpcEndpoint:VpcEndpoint":
            service = str(inputs["serviceName"]).rsplit(".", 1)[-1]
            digest = hashlib.sha256(f"{region}/{service}".encode()).hexdigest()
            return {"prefixListId": f"pl-{digest[:8]}"}
        return {}

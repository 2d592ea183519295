"""Physical names (`{resource-type}-{environment}-{region}`) and tags: one helper each."""

from __future__ import annotations

import difflib
import functools
import re
from dataclasses import dataclass
from enum import Enum

from pulumi_aws import Region

from shared.errors import ConfigError

PROJECT = "trading-analytics"
MANAGED_BY = "pulumi"
REQUIRED_TAG_KEYS = ("Environment", "Project", "Layer", "ManagedBy")

_RESOURCE_TYPE = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")
# Every region AWS has named so far: a short prefix, words, a number (eusc-de-east-1).
_IPV4 = re.compile(r"^\d+\.\d+\.\d+\.\d+$")


@dataclass(frozen=True)
class _Rule:
    min_length: int
    max_length: int
    pattern: re.Pattern[str]
    description: str


class NameKind(Enum):
    """The AWS naming rules a physical name must satisfy, by resource kind."""

    LAMBDA_FUNCTION = _Rule(1, 64, re.compile(r"^[A-Za-z0-9_-]+$"), "letters, digits, - and _")
    IAM_ROLE = _Rule(1, 64, re.compile(r"^[\w+=,.@-]+$"), "letters, digits and +=,.@_-")
    S3_BUCKET = _Rule(
        3, 63, re.compile(r"^[a-z0-9][a-z0-9.-]*[a-z0-9]$"), "lowercase letters, digits, . and -"
    )
    DYNAMODB_TABLE = _Rule(3, 255, re.compile(r"^[A-Za-z0-9_.-]+$"), "letters, digits and _.-")
    LOG_GROUP = _Rule(1, 512, re.compile(r"^[A-Za-z0-9_./#-]+$"), "letters, digits and _./#-")
    SQS_QUEUE = _Rule(1, 80, re.compile(r"^[A-Za-z0-9_-]+$"), "letters, digits, - and _")
    KINESIS_STREAM = _Rule(1, 128, re.compile(r"^[A-Za-z0-9_.-]+$"), "letters, digits and _.-")
    SECURITY_GROUP = _Rule(1, 255, re.compile(r"^[A-Za-z0-9 ._:/()#,@\[\]+=&;{}!$*-]+$"), "ASCII")
    SNS_TOPIC = _Rule(1, 256, re.compile(r"^[A-Za-z0-9_-]+$"), "letters, digits, - and _")
    ALARM = _Rule(1, 255, re.compile(r"^[A-Za-z0-9_.-]+$"), "letters, digits and _.-")
    DASHBOARD = _Rule(1, 255, re.compile(r"^[A-Za-z0-9_-]+$"), "letters, digits, - and _")
    TAG_VALUE = _Rule(1, 256, re.compile(r"^[\w .:/=+@-]+$"), "letters, digits and .:/=+@-")


def check_name(kind: NameKind, name: str, key: str = "name") -> str:
    """Return `name` if AWS accepts it for `kind`; otherwise a ConfigError naming the limit."""
    rule = kind.value
    allowed = (
        f"a {kind.name.lower().replace('_', ' ')} name of {rule.min_length} to "
        f"{rule.max_length} characters using {rule.description}"
    )
    if not rule.min_length <= len(name) <= rule.max_length or not rule.pattern.match(name):
        raise ConfigError(key, name, allowed)
    if kind is NameKind.S3_BUCKET and (
        ".." in name or _IPV4.match(name) or name.startswith("xn--") or name.endswith("-s3alias")
    ):
        raise ConfigError(key, name, allowed + " (no '..', IP form, 'xn--' or '-s3alias')")
    return name


def check_region(region: str) -> str:
    """One of the regions the provider knows (pulumi_aws.Region, from terraform-provider-aws's
    list): a well-formed name such as mars-east-1 would otherwise fail only at deploy."""
    if region not in _known_regions():
        near = difflib.get_close_matches(region, _known_regions(), n=1)
        hint = f" (did you mean {near[0]}?)" if near else ""
        raise ConfigError(
            "aws:region",
            region,
            f"a region the AWS provider knows, such as us-east-1{hint}",
        )
    return region


@functools.cache
def _known_regions() -> tuple[str, ...]:
    return tuple(str(member.value) for member in Region)


@dataclass(frozen=True)
class Naming:
    """Names every physically named resource of one environment in one region."""

    environment: str
    region: str

    def __post_init__(self) -> None:
        check_region(self.region)

    def name(self, resource_type: str, kind: NameKind = NameKind.TAG_VALUE) -> str:
        if not _RESOURCE_TYPE.match(resource_type):
            raise ValueError(f"resource type {resource_type!r} must be kebab-case")
        return check_name(kind, f"{resource_type}-{self.environment}-{self.region}")

    def global_name(self, resource_type: str, kind: NameKind, suffix: str = "") -> str:
        """A name unique across every AWS account (S3 buckets): the convention's name, then an
        organisation's own suffix where one is given, so two firms' names cannot collide."""
        base = self.name(resource_type)
        return check_name(kind, f"{base}-{suffix}" if suffix else base)

    def log_group(self, prefix: str, resource_type: str) -> str:
        """CloudWatch log group names put a service path before the resource name."""
        return check_name(NameKind.LOG_GROUP, f"{prefix.rstrip('/')}/{self.name(resource_type)}")


def tags(environment: str, layer: str) -> dict[str, str]:
    """The four tags every taggable resource carries."""
    return {
        "Environment": environment,
        "Project": PROJECT,
        "Layer": layer,
        "ManagedBy": MANAGED_BY,
    }

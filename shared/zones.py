"""Which availability zones the private subnets go in: chosen by zone ID, deterministically.

Zone names (us-east-1a) are mapped to physical zones independently for each account; zone IDs
(use1-az1) name the same physical zone in every account (AWS RAM User Guide, "Availability
Zone IDs for your AWS resources"). So the choice is made on IDs, and only among zones every
service the subnets serve is offered in:
- Lambda refuses subnets in some zones ("The provided subnets contain availability zone Lambda
  doesn't support"; in us-east-1 that is use1-az3, as reported in keboola/developer-portal #81
  and in the AWS knowledge-center article on Lambda VPC errors);
- an interface endpoint service is offered in the zones DescribeVpcEndpointServices lists for it
  (AvailabilityZones; the AWS knowledge-center article "interface-endpoint-availability-zone").

The network program (shared/components/network.py) and preflight (orchestration/preflight.py)
both call `choose`, so what preflight checks is what the program would create.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

# Zone IDs where Lambda does not place functions' network interfaces.
LAMBDA_UNSUPPORTED_ZONE_IDS = frozenset({"use1-az3"})


@dataclass(frozen=True)
class Zone:
    name: str  # this account's name for it
    zone_id: str  # the same in every account


class ZoneError(ValueError):
    """Fewer usable zones than asked for; the message says which and why."""


# The interface endpoints the network layer creates in every subnet (shared/components/network.py).
INTERFACE_ENDPOINTS = ("sqs", "xray")


def choose(
    zones: Sequence[Zone],
    count: int,
    endpoint_zone_names: Collection[str],
    region: str,
    endpoint: str = " and ".join(INTERFACE_ENDPOINTS),
) -> list[Zone]:
    """The first `count` usable zones by zone ID: Lambda supports them and every interface
    endpoint service is offered in them (`endpoint_zone_names`: the zones, as this account names
    them, that DescribeVpcEndpointServices lists for all of them)."""
    usable = sorted(
        (
            z
            for z in zones
            if z.zone_id not in LAMBDA_UNSUPPORTED_ZONE_IDS and z.name in endpoint_zone_names
        ),
        key=lambda z: z.zone_id,
    )
    if len(usable) < count:
        left_out = sorted(z.zone_id for z in zones if z not in usable)
        raise ZoneError(
            f"trading-network:az_count = {count} is not allowed; region {region} has "
            f"{len(usable)} zones that support Lambda and the {endpoint} interface endpoints "
            f"({', '.join(z.zone_id for z in usable) or 'none'}; left out: "
            f"{', '.join(left_out) or 'none'}): lower trading-network:az_count to {len(usable)}"
        )
    return usable[:count]

"""Checks of the usual scanners this platform deliberately does not satisfy, where, and why.

One list for both reports: `nox -s guardrails` prints it under its rule table, and the checkov
scan (`nox -s scan`) waives a failed check only when a waiver here covers that check, that
resource type and that environment.
"""

from __future__ import annotations

from dataclasses import dataclass

from shared.environments import ENVIRONMENTS, PROFILES


@dataclass(frozen=True)
class Waiver:
    check: str
    reason: str
    # Terraform resource types (as the scan exports them); empty: every resource.
    resource_types: tuple[str, ...] = ()
    # Empty: every environment.
    environments: tuple[str, ...] = ()

    def covers(self, check: str, resource_type: str, environment: str) -> bool:
        return (
            check == self.check
            and (not self.resource_types or resource_type in self.resource_types)
            and (not self.environments or environment in self.environments)
        )

    @property
    def scope(self) -> str:
        where = ", ".join(self.resource_types) or "every resource"
        when = ", ".join(self.environments) or "every environment"
        return f"{where}; {when}"


WAIVERS: tuple[Waiver, ...] = (
    Waiver(
        "CKV_AWS_338",
        "log retention below one year: the platform description fixes 7/30/90 days",
        ("aws_cloudwatch_log_group",),
    ),
    Waiver(
        "CKV_AWS_272",
        "Lambda code signing: the package is built from this repository and deployed by the "
        "same pipeline; no third party supplies code",
        ("aws_lambda_function",),
    ),
    Waiver(
        "CKV_AWS_144",
        "S3 cross-region replication: the archive is rebuilt from the table and kept versioned "
        "in production; a second region is out of scope",
        ("aws_s3_bucket",),
    ),
    Waiver(
        "CKV_AWS_18",
        "S3 access logging: CloudTrail data events are the account's audit trail",
        ("aws_s3_bucket",),
    ),
    Waiver(
        "CKV2_AWS_62",
        "S3 event notifications: only the function writes the archive, and it records every "
        "object it writes in the table (archive_key); nothing consumes object events",
        ("aws_s3_bucket",),
    ),
    Waiver(
        "CKV_AWS_115",
        "Lambda reserved concurrency outside production: a reservation fails in accounts whose "
        "quota is below 100 plus the reservation (new accounts start at 10 or 50), and dev's and "
        "staging's functions run in accounts of their own (shared/environments.py)",
        ("aws_lambda_function",),
        tuple(e for e in ENVIRONMENTS if PROFILES[e].lambda_reserved_concurrency is None),
    ),
    Waiver(
        "CKV_AWS_21",
        "S3 versioning outside production: the platform description turns it off in dev and "
        "staging, whose archives are test data rebuilt by replaying trades",
        ("aws_s3_bucket",),
        tuple(e for e in ENVIRONMENTS if e != "production"),
    ),
)


def waiver_for(check: str, resource_type: str, environment: str) -> Waiver | None:
    return next((w for w in WAIVERS if w.covers(check, resource_type, environment)), None)

"""The data layer: the analytics table, the archive bucket and the trade stream, per environment."""

from __future__ import annotations

from shared.environments import BillingMode, EnvironmentProfile
from tests.support.documents import Document, layer, one, policy, resources


def test_table_keys_and_name(doc: Document, environment: str) -> None:
    table = one(doc, "aws:dynamodb/table:Table")["inputs"]
    assert table["name"] == f"analytics-table-{environment}-us-east-1"
    assert (table["hashKey"], table["rangeKey"]) == ("pk", "sk")
    assert sorted((a["name"], a["type"]) for a in table["attributes"]) == [("pk", "S"), ("sk", "S")]


def test_table_billing_follows_the_profile(doc: Document, profile: EnvironmentProfile) -> None:
    table = one(doc, "aws:dynamodb/table:Table")["inputs"]
    assert table["billingMode"] == profile.dynamodb_billing_mode.value
    if profile.dynamodb_billing_mode is BillingMode.PROVISIONED:
        assert table["readCapacity"] == table["writeCapacity"] == profile.dynamodb_min_capacity
    else:
        assert "readCapacity" not in table and "writeCapacity" not in table


def test_provisioned_table_autoscales_both_dimensions(
    doc: Document, profile: EnvironmentProfile
) -> None:
    targets = [r["inputs"] for r in resources(doc, "aws:appautoscaling/target:Target")]
    scaling = [r["inputs"] for r in resources(doc, "aws:appautoscaling/policy:Policy")]
    if profile.dynamodb_billing_mode is not BillingMode.PROVISIONED:
        assert targets == [] and scaling == []
        return
    table = one(doc, "aws:dynamodb/table:Table")["inputs"]["name"]
    assert sorted(t["scalableDimension"] for t in targets) == [
        "dynamodb:table:ReadCapacityUnits",
        "dynamodb:table:WriteCapacityUnits",
    ]
    for target in targets:
        assert target["resourceId"] == f"table/{table}"
        assert target["minCapacity"] == profile.dynamodb_min_capacity
        assert target["maxCapacity"] == profile.dynamodb_max_capacity
    assert sorted(p["policyType"] for p in scaling) == ["TargetTrackingScaling"] * 2
    assert {p["scalableDimension"] for p in scaling} == {t["scalableDimension"] for t in targets}


def test_table_is_recoverable_encrypted_and_protected_in_production(
    doc: Document, profile: EnvironmentProfile
) -> None:
    table = one(doc, "aws:dynamodb/table:Table")["inputs"]
    assert table["pointInTimeRecovery"] == {"enabled": True}
    assert table["serverSideEncryption"] == {
        "enabled": True,
        "kmsKeyArn": layer(doc, "data")["outputs"]["kms_key_arn"],
    }
    assert table["deletionProtectionEnabled"] is profile.protected
    assert profile.protected is (profile.name == "production")


def test_bucket_name_and_force_destroy_outside_production_only(
    doc: Document, environment: str
) -> None:
    bucket = one(doc, "aws:s3/bucket:Bucket")["inputs"]
    assert bucket["bucket"] == f"data-archive-{environment}-us-east-1"
    assert bucket["forceDestroy"] is (environment != "production")


def test_bucket_versioning_in_production_only(doc: Document, profile: EnvironmentProfile) -> None:
    versioning = one(doc, "aws:s3/bucketVersioning:BucketVersioning")["inputs"]
    expected = "Enabled" if profile.s3_versioning else "Disabled"
    assert versioning["versioningConfiguration"]["status"] == expected
    assert profile.s3_versioning is (profile.name == "production")


def test_bucket_blocks_all_public_access(doc: Document) -> None:
    block = one(doc, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock")["inputs"]
    for setting in (
        "blockPublicAcls",
        "blockPublicPolicy",
        "ignorePublicAcls",
        "restrictPublicBuckets",
    ):
        assert block[setting] is True, setting


def test_bucket_encrypts_by_default_and_disables_acls(doc: Document) -> None:
    encryption = one(
        doc,
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    )["inputs"]
    default = encryption["rules"][0]["applyServerSideEncryptionByDefault"]
    key = layer(doc, "data")["outputs"]["kms_key_arn"]
    assert (default["sseAlgorithm"], default["kmsMasterKeyId"]) == ("aws:kms", key)
    assert encryption["rules"][0]["bucketKeyEnabled"] is True
    ownership = one(doc, "aws:s3/bucketOwnershipControls:BucketOwnershipControls")["inputs"]
    assert ownership["rule"]["objectOwnership"] == "BucketOwnerEnforced"


def test_bucket_policy_denies_every_request_without_tls(doc: Document) -> None:
    bucket_arn = layer(doc, "data")["outputs"]["s3_bucket_arn"]
    document = policy(one(doc, "aws:s3/bucketPolicy:BucketPolicy"))
    [statement] = document["Statement"]
    assert statement["Effect"] == "Deny"
    assert statement["Principal"] == "*"
    assert statement["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert sorted(statement["Resource"]) == [bucket_arn, f"{bucket_arn}/*"]


def test_lifecycle_tiers_archives_and_aborts_incomplete_uploads(doc: Document) -> None:
    rules = one(doc, "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration")["inputs"][
        "rules"
    ]
    assert all(rule["status"] == "Enabled" for rule in rules)
    tiering = next(rule for rule in rules if rule.get("transitions"))
    assert tiering["filter"] == {"prefix": "trades/"}
    classes = [t["storageClass"] for t in sorted(tiering["transitions"], key=lambda t: t["days"])]
    assert classes == ["STANDARD_IA", "GLACIER_IR"]
    assert any(
        rule.get("abortIncompleteMultipartUpload", {}).get("daysAfterInitiation", 0) > 0
        for rule in rules
    )


def test_every_bucket_setting_targets_the_archive_bucket(doc: Document) -> None:
    name = one(doc, "aws:s3/bucket:Bucket")["inputs"]["bucket"]
    settings = [r for r in resources(doc, "aws:s3/bucketPolicy:BucketPolicy")] + [
        r
        for entry in doc["layers"]
        for r in entry["resources"]
        if r["type"].startswith("aws:s3/bucket") and r["type"] != "aws:s3/bucket:Bucket"
    ]
    assert len(settings) >= 7
    assert {r["inputs"]["bucket"] for r in settings} == {name}


def test_trade_stream_is_provisioned_encrypted_and_sized_by_the_matrix(
    doc: Document, profile: EnvironmentProfile, environment: str
) -> None:
    stream = one(doc, "aws:kinesis/stream:Stream", "data")["inputs"]
    data = layer(doc, "data")["outputs"]
    assert stream["name"] == f"trades-{environment}-us-east-1"
    assert stream["streamModeDetails"] == {"streamMode": "PROVISIONED"}
    assert (stream["shardCount"], stream["retentionPeriod"]) == (
        profile.stream_shards,
        profile.stream_retention_hours,
    )
    assert (stream["encryptionType"], stream["kmsKeyId"]) == ("KMS", data["kms_key_arn"])
    assert stream["enforceConsumerDeletion"] is (not profile.protected)
    assert data["trade_stream_arn"].endswith(f":stream/{stream['name']}")
    assert data["trade_stream_shards"] == profile.stream_shards


def test_failure_queue_keeps_records_two_weeks_under_the_platform_key(
    doc: Document, environment: str
) -> None:
    queue = one(doc, "aws:sqs/queue:Queue", "data")["inputs"]
    data = layer(doc, "data")["outputs"]
    assert queue["name"] == f"trade-failures-{environment}-us-east-1"
    assert queue["kmsMasterKeyId"] == data["kms_key_arn"]
    assert queue["messageRetentionSeconds"] == 14 * 24 * 3600
    assert data["failure_queue_url"].endswith(f"/{queue['name']}")


def test_the_write_floor_is_raised_before_the_open_and_lowered_after_the_close(
    doc: Document, profile: EnvironmentProfile
) -> None:
    actions = {
        r["name"]: r for r in resources(doc, "aws:appautoscaling/scheduledAction:ScheduledAction")
    }
    write_target = next(
        r
        for r in resources(doc, "aws:appautoscaling/target:Target")
        if r["inputs"]["scalableDimension"] == "dynamodb:table:WriteCapacityUnits"
    ) if profile.dynamodb_billing_mode is BillingMode.PROVISIONED else None  # fmt: skip
    hours = profile.market_hours
    if hours is None:
        assert actions == {}
        if write_target is not None:
            assert "ignoreChanges" not in write_target.get("options", {})
        return
    assert write_target is not None and sorted(actions) == [
        "analytics-write-market-close",
        "analytics-write-market-open",
    ]
    opens, closes = (actions[f"analytics-write-market-{m}"]["inputs"] for m in ("open", "close"))
    for action in (opens, closes):
        for key in ("serviceNamespace", "resourceId", "scalableDimension"):
            assert action[key] == write_target["inputs"][key]
        assert action["timezone"] == hours.timezone == "America/New_York"
        assert action["scalableTargetAction"]["maxCapacity"] == profile.dynamodb_max_capacity
    # 09:30 less 30 minutes, 16:00 plus 15, New York time (DST follows the zone, not UTC).
    assert opens["schedule"] == "cron(0 9 ? * MON-FRI *)"
    assert closes["schedule"] == "cron(15 16 ? * MON-FRI *)"
    assert opens["scalableTargetAction"]["minCapacity"] == hours.floor_capacity == 20_000
    assert closes["scalableTargetAction"]["minCapacity"] == profile.dynamodb_min_capacity
    assert opens["name"] == f"analytics-table-market-open-{profile.name}-us-east-1"
    # A deploy in market hours must not pull the scheduled floor back to the base.
    assert write_target["options"]["ignoreChanges"] == ["minCapacity"]

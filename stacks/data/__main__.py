"""Data layer: the analytics table and the archive bucket for one environment."""

import pulumi

from shared import outputs
from shared.components.data import AnalyticsTable, ArchiveBucket, DataStoreArgs
from shared.components.encryption import EncryptionKey, EncryptionKeyArgs
from shared.settings import load_data

settings = load_data()

key = EncryptionKey("platform", EncryptionKeyArgs(settings))
table = AnalyticsTable("analytics", DataStoreArgs(settings, key.key.arn))
archive = ArchiveBucket("archive", DataStoreArgs(settings, key.key.arn))

pulumi.export(outputs.ENVIRONMENT, settings.context.environment)
pulumi.export(outputs.DYNAMODB_TABLE_NAME, table.table.name)
pulumi.export(outputs.DYNAMODB_TABLE_ARN, table.table.arn)
pulumi.export(outputs.S3_BUCKET_NAME, archive.bucket.bucket)
pulumi.export(outputs.S3_BUCKET_ARN, archive.bucket.arn)
pulumi.export(outputs.KMS_KEY_ARN, key.key.arn)

"""Data layer: the table, the archive bucket and the trade stream for one environment."""

import pulumi

from shared import outputs
from shared.components.data import AnalyticsTable, ArchiveBucket, DataStoreArgs, TradeStream
from shared.components.encryption import EncryptionKey, EncryptionKeyArgs
from shared.components.monitoring import AlarmTopic, AlarmTopicArgs, DataAlarms, DataAlarmsArgs
from shared.settings import load_data

settings = load_data()

key = EncryptionKey(
    "platform",
    EncryptionKeyArgs(
        settings.context, "trading-analytics-key", "Trading analytics data", alarm_topics=True
    ),
)
table = AnalyticsTable("analytics", DataStoreArgs(settings, key.key.arn))
archive = ArchiveBucket("archive", DataStoreArgs(settings, key.key.arn))
trades = TradeStream("trades", DataStoreArgs(settings, key.key.arn))
alarms = AlarmTopic("alarms", AlarmTopicArgs(settings, key.key.arn))
DataAlarms(
    "data",
    DataAlarmsArgs(
        settings,
        topic_arn=alarms.topic.arn,
        table_name=table.table.name,
        stream_name=trades.stream.name,
        failure_queue_name=trades.failure_queue.name,
    ),
)

pulumi.export(outputs.ENVIRONMENT, settings.context.environment)
pulumi.export(outputs.DYNAMODB_TABLE_NAME, table.table.name)
pulumi.export(outputs.DYNAMODB_TABLE_ARN, table.table.arn)
pulumi.export(outputs.S3_BUCKET_NAME, archive.bucket.bucket)
pulumi.export(outputs.S3_BUCKET_ARN, archive.bucket.arn)
pulumi.export(outputs.KMS_KEY_ARN, key.key.arn)
pulumi.export(outputs.TRADE_STREAM_NAME, trades.stream.name)
pulumi.export(outputs.TRADE_STREAM_ARN, trades.stream.arn)
pulumi.export(outputs.TRADE_STREAM_SHARDS, trades.stream.shard_count)
pulumi.export(outputs.FAILURE_QUEUE_ARN, trades.failure_queue.arn)
pulumi.export(outputs.FAILURE_QUEUE_URL, trades.failure_queue.url)
pulumi.export(outputs.ALARM_TOPIC_ARN, alarms.topic.arn)

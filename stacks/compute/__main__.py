"""Compute layer: the data processor, wired to the network and data stacks of its environment."""

import pulumi

from shared import layers, outputs
from shared.components.compute import DataProcessor, DataProcessorArgs
from shared.components.monitoring import ProcessorMonitoring, ProcessorMonitoringArgs
from shared.packaging import build_package
from shared.references import Upstream
from shared.settings import load_compute

settings = load_compute()
network = Upstream(layers.NETWORK, layers.COMPUTE, settings.network_stack)
data = Upstream(layers.DATA, layers.COMPUTE, settings.data_stack)

processor = DataProcessor(
    "data-processor",
    DataProcessorArgs(
        settings=settings,
        package=build_package("data_processor"),
        subnet_ids=network.require(outputs.PRIVATE_SUBNET_IDS),
        security_group_id=network.require(outputs.LAMBDA_SECURITY_GROUP_ID),
        table_name=data.require(outputs.DYNAMODB_TABLE_NAME),
        table_arn=data.require(outputs.DYNAMODB_TABLE_ARN),
        bucket_name=data.require(outputs.S3_BUCKET_NAME),
        bucket_arn=data.require(outputs.S3_BUCKET_ARN),
        key_arn=data.require(outputs.KMS_KEY_ARN),
        stream_arn=data.require(outputs.TRADE_STREAM_ARN),
        failure_queue_arn=data.require(outputs.FAILURE_QUEUE_ARN),
        failure_queue_url=data.require(outputs.FAILURE_QUEUE_URL),
    ),
)

monitoring = ProcessorMonitoring(
    "data-processor",
    ProcessorMonitoringArgs(
        settings=settings,
        topic_arn=data.require(outputs.ALARM_TOPIC_ARN),
        function_name=processor.function.name,
        dead_letter_queue_name=processor.dead_letter_queue.name,
        table_name=data.require(outputs.DYNAMODB_TABLE_NAME),
        stream_name=data.require(outputs.TRADE_STREAM_NAME),
        failure_queue_arn=data.require(outputs.FAILURE_QUEUE_ARN),
    ),
)

pulumi.export(outputs.ENVIRONMENT, settings.context.environment)
pulumi.export(outputs.LAMBDA_FUNCTION_NAME, processor.function.name)
pulumi.export(outputs.LAMBDA_FUNCTION_ARN, processor.function.arn)
pulumi.export(outputs.LAMBDA_ROLE_ARN, processor.role.arn)
pulumi.export(outputs.LOG_GROUP_NAME, processor.log_group.name)
pulumi.export(outputs.DASHBOARD_NAME, monitoring.dashboard.dashboard_name)
pulumi.export(outputs.DASHBOARD_URL, monitoring.dashboard_url)

"""Stack output names: the contract between the layer that exports and the layers that read."""

from __future__ import annotations

# Every layer exports the environment it was deployed for.
ENVIRONMENT = "environment"

# network
VPC_ID = "vpc_id"
PRIVATE_SUBNET_IDS = "private_subnet_ids"
LAMBDA_SECURITY_GROUP_ID = "lambda_security_group_id"
FLOW_LOG_GROUP_NAME = "flow_log_group_name"

# data
DYNAMODB_TABLE_NAME = "dynamodb_table_name"
DYNAMODB_TABLE_ARN = "dynamodb_table_arn"
S3_BUCKET_NAME = "s3_bucket_name"
S3_BUCKET_ARN = "s3_bucket_arn"
KMS_KEY_ARN = "kms_key_arn"
TRADE_STREAM_NAME = "trade_stream_name"
TRADE_STREAM_ARN = "trade_stream_arn"
# Producers spread a symbol's lanes over this many shards (docs/data-processor.md).
TRADE_STREAM_SHARDS = "trade_stream_shards"
FAILURE_QUEUE_ARN = "failure_queue_arn"
FAILURE_QUEUE_URL = "failure_queue_url"
# Where every alarm of the environment notifies (shared/components/monitoring.py).
ALARM_TOPIC_ARN = "alarm_topic_arn"

# compute
LAMBDA_FUNCTION_NAME = "lambda_function_name"
LAMBDA_FUNCTION_ARN = "lambda_function_arn"
LAMBDA_ROLE_ARN = "lambda_role_arn"
LOG_GROUP_NAME = "log_group_name"
DASHBOARD_NAME = "dashboard_name"
DASHBOARD_URL = "dashboard_url"

# The seven outputs the platform description promises, in its order.
DESCRIBED = (
    LAMBDA_FUNCTION_NAME,
    LAMBDA_FUNCTION_ARN,
    DYNAMODB_TABLE_NAME,
    S3_BUCKET_NAME,
    VPC_ID,
    LOG_GROUP_NAME,
    ENVIRONMENT,
)
# What `nox -s outputs` shows: those seven, then where to look when something is wrong.
SHOWN = (*DESCRIBED, ALARM_TOPIC_ARN, DASHBOARD_NAME, DASHBOARD_URL)

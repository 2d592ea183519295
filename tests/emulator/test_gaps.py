"""What moto lacks, filled in the emulator: answered through boto3 as AWS answers it, and each
gap still open in the installed moto (when an upgrade closes one, this says which to drop)."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from emulator import gaps
from tests.support.emulator import Clients, create_function, zip_of

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("gap", gaps.GAPS, ids=lambda gap: gap.name)
def test_each_gap_is_still_open_in_the_installed_moto(gap: gaps.Gap) -> None:
    import moto

    assert gap.is_open(), f"moto {moto.__version__} implements {gap.name!r}: drop the gap"


def test_an_autoscaling_target_registers_and_its_tags_list(clients: Clients) -> None:
    scaling = clients("application-autoscaling")
    arn = scaling.register_scalable_target(
        ServiceNamespace="dynamodb",
        ResourceId="table/gap-table",
        ScalableDimension="dynamodb:table:WriteCapacityUnits",
        MinCapacity=5,
        MaxCapacity=50,
        Tags={"Environment": "production"},
    )["ScalableTargetARN"]
    assert scaling.list_tags_for_resource(ResourceARN=arn)["Tags"] == {"Environment": "production"}
    scaling.tag_resource(ResourceARN=arn, Tags={"Layer": "data"})
    scaling.untag_resource(ResourceARN=arn, TagKeys=["Environment"])
    assert scaling.list_tags_for_resource(ResourceARN=arn)["Tags"] == {"Layer": "data"}
    scaling.deregister_scalable_target(
        ServiceNamespace="dynamodb",
        ResourceId="table/gap-table",
        ScalableDimension="dynamodb:table:WriteCapacityUnits",
    )
    with pytest.raises(ClientError) as gone:
        scaling.list_tags_for_resource(ResourceARN=arn)
    assert gone.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_the_function_s_logging_and_dead_letter_configuration_are_kept(clients: Clients) -> None:
    lam = clients("lambda")
    plain = create_function(clients, zip_of({"app.py": "def handler(e, c):\n    return 1\n"}))
    config = lam.get_function(FunctionName=plain)["Configuration"]
    assert config["LoggingConfig"] == {"LogFormat": "Text", "LogGroup": f"/aws/lambda/{plain}"}
    assert "DeadLetterConfig" not in config  # Lambda returns it only when one is set
    dlq = "arn:aws:sqs:us-east-1:123456789012:gap-dlq"
    configured = create_function(
        clients,
        zip_of({"app.py": "def handler(e, c):\n    return 1\n"}),
        LoggingConfig={"LogFormat": "Text", "LogGroup": "/platform/processor"},
        DeadLetterConfig={"TargetArn": dlq},
    )
    config = lam.get_function(FunctionName=configured)["Configuration"]
    assert config["LoggingConfig"]["LogGroup"] == "/platform/processor"
    assert config["DeadLetterConfig"] == {"TargetArn": dlq}
    lam.update_function_configuration(
        FunctionName=configured, LoggingConfig={"LogFormat": "JSON", "LogGroup": "/platform/x"}
    )
    config = lam.get_function_configuration(FunctionName=configured)
    assert config["LoggingConfig"] == {"LogFormat": "JSON", "LogGroup": "/platform/x"}


def test_sns_and_cloudwatch_answer(clients: Clients) -> None:
    topic = clients("sns").create_topic(Name="gap-alarms")["TopicArn"]
    cloudwatch = clients("cloudwatch")
    cloudwatch.put_metric_alarm(
        AlarmName="gap-errors",
        Namespace="AWS/Lambda",
        MetricName="Errors",
        Statistic="Sum",
        Period=60,
        EvaluationPeriods=1,
        Threshold=1,
        ComparisonOperator="GreaterThanOrEqualToThreshold",
        AlarmActions=[topic],
    )
    alarm = cloudwatch.describe_alarms(AlarmNames=["gap-errors"])["MetricAlarms"][0]
    assert alarm["AlarmActions"] == [topic]
    attributes = clients("sns").get_topic_attributes(TopicArn=topic)["Attributes"]
    assert json.loads(attributes["Policy"])["Statement"]


def test_security_group_rules_keep_the_description_of_group_and_prefix_list_rules(
    clients: Clients,
) -> None:
    ec2 = clients("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.99.0.0/16")["Vpc"]["VpcId"]
    group = ec2.create_security_group(GroupName="gap-rules", Description="d", VpcId=vpc)["GroupId"]
    other = ec2.create_security_group(GroupName="gap-other", Description="d", VpcId=vpc)["GroupId"]
    s3 = ec2.describe_prefix_lists(
        Filters=[{"Name": "prefix-list-name", "Values": ["com.amazonaws.us-east-1.s3"]}]
    )["PrefixLists"][0]["PrefixListId"]
    https = {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443}
    by_group = ec2.authorize_security_group_ingress(
        GroupId=group,
        IpPermissions=[{**https, "UserIdGroupPairs": [{"GroupId": other, "Description": "peer"}]}],
    )["SecurityGroupRules"][0]["SecurityGroupRuleId"]
    by_list = ec2.authorize_security_group_egress(
        GroupId=group,
        IpPermissions=[{**https, "PrefixListIds": [{"PrefixListId": s3, "Description": "s3"}]}],
    )["SecurityGroupRules"][0]["SecurityGroupRuleId"]
    rules = ec2.describe_security_group_rules(SecurityGroupRuleIds=[by_group, by_list])
    descriptions = {
        r["SecurityGroupRuleId"]: r.get("Description") for r in rules["SecurityGroupRules"]
    }
    assert descriptions == {by_group: "peer", by_list: "s3"}


def test_a_stream_created_with_tags_lists_them(clients: Clients) -> None:
    kinesis = clients("kinesis")
    kinesis.create_stream(StreamName="gap-tagged", ShardCount=1, Tags={"Layer": "data"})
    tags = kinesis.list_tags_for_stream(StreamName="gap-tagged")["Tags"]
    assert tags == [{"Key": "Layer", "Value": "data"}]


def test_a_subnet_created_by_zone_id_is_not_its_zone_s_default(clients: Clients) -> None:
    ec2 = clients("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.99.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.99.0.0/20", AvailabilityZoneId="use1-az1")
    got = ec2.describe_subnets(SubnetIds=[subnet["Subnet"]["SubnetId"]])["Subnets"][0]
    assert (got["AvailabilityZoneId"], got["AvailabilityZone"]) == ("use1-az1", "us-east-1b")
    assert got["MapPublicIpOnLaunch"] is False and got["DefaultForAz"] is False

"""Network layer: an isolated, private VPC for one environment."""

import pulumi

from shared import outputs
from shared.components.encryption import EncryptionKey, EncryptionKeyArgs
from shared.components.network import PrivateNetwork, PrivateNetworkArgs
from shared.settings import load_network

settings = load_network()

# The network layer's own key, for its flow logs: it never reads the data layer's.
key = EncryptionKey(
    "network",
    EncryptionKeyArgs(settings.context, "network-logs-key", "Trading analytics network logs"),
)
network = PrivateNetwork("network", PrivateNetworkArgs(settings, key.key.arn))

pulumi.export(outputs.ENVIRONMENT, settings.context.environment)
pulumi.export(outputs.VPC_ID, network.vpc.id)
pulumi.export(outputs.PRIVATE_SUBNET_IDS, [subnet.id for subnet in network.subnets])
pulumi.export(outputs.LAMBDA_SECURITY_GROUP_ID, network.lambda_security_group.id)
pulumi.export(outputs.FLOW_LOG_GROUP_NAME, network.flow_log_group.name)

"""Network layer: an isolated, private VPC for one environment."""

import pulumi

from shared import outputs
from shared.components.network import PrivateNetwork, PrivateNetworkArgs
from shared.settings import load_network

settings = load_network()

network = PrivateNetwork("network", PrivateNetworkArgs(settings))

pulumi.export(outputs.ENVIRONMENT, settings.context.environment)
pulumi.export(outputs.VPC_ID, network.vpc.id)
pulumi.export(outputs.PRIVATE_SUBNET_IDS, [subnet.id for subnet in network.subnets])
pulumi.export(outputs.LAMBDA_SECURITY_GROUP_ID, network.lambda_security_group.id)
pulumi.export(outputs.FLOW_LOG_GROUP_NAME, network.flow_log_group.name)

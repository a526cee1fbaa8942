"""SharedNetwork: the VPC, subnets and agent security group of one region."""

from __future__ import annotations

from cdktf import Fn
from constructs import Construct

from constructs_lib.infra.aws.vpc_flow_log import FlowLogTarget, VpcFlowLog
from constructs_lib.infra.jsii.providers import aws
from constructs_lib.queues import aws_network
from constructs_lib.queues.model import AwsRegionNetwork

# Subnets go to the first zones of this closed set (sorted by name), so the
# zones a plan uses cannot change when AWS opens another zone in the region.
ZONE_LETTERS = "abcdef"


class SharedNetwork(Construct):
    """A new VPC with one public subnet per zone, or an existing VPC.

    Agents need outbound internet (Buildkite, registries) but no inbound
    traffic: the security group allows egress only, and the VPC's default
    security group is emptied so nothing lands in it by accident. A new VPC
    logs its flows (an existing one is its owner's to log).
    """

    def __init__(self, scope: Construct, id: str, *, network: AwsRegionNetwork, name: str, flow_logs: FlowLogTarget):
        super().__init__(scope, id)
        if network.existing_vpc is not None:
            self.vpc_id: str = network.existing_vpc.vpc_id
            self.subnet_ids: list[str] = list(network.existing_vpc.subnet_ids)
        else:
            self.vpc_id, self.subnet_ids = self._new_vpc(network, name, flow_logs.region)
            VpcFlowLog(self, "flow-logs", vpc_id=self.vpc_id, name=name, target=flow_logs)

        self.security_group = aws.SecurityGroup(
            self,
            "agents",
            name=f"{name}-agents",
            description="Buildkite agents: egress only",
            vpc_id=self.vpc_id,
            egress=[
                aws.SecurityGroupEgress(
                    description="Agents reach Buildkite, registries and package mirrors",
                    from_port=0,
                    to_port=0,
                    protocol="-1",
                    cidr_blocks=["0.0.0.0/0"],
                    ipv6_cidr_blocks=["::/0"],
                )
            ],
            tags={"Name": f"{name}-agents"},
        )

    def _new_vpc(self, network: AwsRegionNetwork, name: str, region: str) -> tuple[str, list[str]]:
        vpc = aws.Vpc(
            self,
            "vpc",
            cidr_block=network.vpc_cidr,
            enable_dns_hostnames=True,
            enable_dns_support=True,
            tags={"Name": name},
        )
        aws.DefaultSecurityGroup(self, "default-sg", vpc_id=vpc.id, tags={"Name": f"{name}-default-unused"})
        zones = aws.DataAwsAvailabilityZones(
            self,
            "zones",
            state="available",
            filter=[
                aws.DataAwsAvailabilityZonesFilter(
                    name="zone-name", values=[f"{region}{letter}" for letter in ZONE_LETTERS]
                )
            ],
        )
        gateway = aws.InternetGateway(self, "igw", vpc_id=vpc.id, tags={"Name": name})
        routes = aws.RouteTable(self, "public", vpc_id=vpc.id, tags={"Name": f"{name}-public"})
        aws.Route(
            self, "default-route", route_table_id=routes.id, destination_cidr_block="0.0.0.0/0", gateway_id=gateway.id
        )
        # Subnet CIDRs are computed here rather than with cidrsubnet() so the plan shows them.
        subnet_ids = []
        assert network.vpc_cidr is not None  # a new VPC: the loader requires its CIDR
        for index, cidr in enumerate(aws_network.subnets(network.vpc_cidr, network.zones)):
            subnet = aws.Subnet(
                self,
                f"subnet-{index}",
                vpc_id=vpc.id,
                cidr_block=str(cidr),
                availability_zone=Fn.element(zones.names, index),
                tags={"Name": f"{name}-{index}"},
            )
            aws.RouteTableAssociation(self, f"subnet-{index}-routes", subnet_id=subnet.id, route_table_id=routes.id)
            subnet_ids.append(subnet.id)
        return vpc.id, subnet_ids

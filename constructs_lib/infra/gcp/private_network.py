"""PrivateNetwork: a VPC whose machines have no external IPs, with Cloud NAT for egress."""

from __future__ import annotations

import dataclasses

from constructs import Construct

from constructs_lib.infra.jsii.providers import google
from constructs_lib.queues import gcp_names as names


@dataclasses.dataclass(frozen=True)
class SubnetSpec:
    cidr: str
    secondary_ranges: dict[str, str] = dataclasses.field(default_factory=dict)


class PrivateNetwork(Construct):
    """One subnet per region, each with Private Google Access, flow logs and Cloud NAT.

    Agents reach Buildkite, package mirrors and registries through NAT; nothing
    reaches them: besides GCP's implied rule, an explicit lowest-priority rule
    denies all ingress, so the intent is visible in the plan (and to checkov).
    Rules GKE adds for its own control plane take precedence over it.
    """

    def __init__(self, scope: Construct, id: str, *, name: str, subnets: dict[str, SubnetSpec]):
        super().__init__(scope, id)
        self.network = google.ComputeNetwork(
            self,
            "network",
            name=name,
            auto_create_subnetworks=False,
            routing_mode="REGIONAL",
            description="Buildkite agents: private, egress through Cloud NAT",
        )
        self.deny_ingress = google.ComputeFirewall(
            self,
            "deny-ingress",
            name=names.deny_ingress_name(name),
            network=self.network.id,
            description="Nothing may connect to the agents",
            direction="INGRESS",
            priority=65534,
            source_ranges=["0.0.0.0/0"],
            deny=[google.ComputeFirewallDeny(protocol="all")],
        )
        self.subnets = {}
        for region, spec in sorted(subnets.items()):
            subnet_name = names.subnet_name(name, region)
            self.subnets[region] = google.ComputeSubnetwork(
                self,
                f"subnet-{region}",
                name=subnet_name,
                region=region,
                network=self.network.id,
                ip_cidr_range=spec.cidr,
                private_ip_google_access=True,
                secondary_ip_range=[
                    google.ComputeSubnetworkSecondaryIpRange(range_name=range_name, ip_cidr_range=cidr)
                    for range_name, cidr in sorted(spec.secondary_ranges.items())
                ]
                or None,
                log_config=google.ComputeSubnetworkLogConfig(
                    aggregation_interval="INTERVAL_10_MIN", flow_sampling=0.5, metadata="INCLUDE_ALL_METADATA"
                ),
            )
            router = google.ComputeRouter(
                self, f"router-{region}", name=subnet_name, region=region, network=self.network.id
            )
            google.ComputeRouterNat(
                self,
                f"nat-{region}",
                name=subnet_name,
                router=router.name,
                region=region,
                nat_ip_allocate_option="AUTO_ONLY",
                source_subnetwork_ip_ranges_to_nat="ALL_SUBNETWORKS_ALL_IP_RANGES",
                log_config=google.ComputeRouterNatLogConfig(enable=True, filter="ERRORS_ONLY"),
            )

"""GkeCluster: the optional regional GKE cluster for Kubernetes-backed queues.

Secure settings the reference lacks: deletion protection, Workload Identity,
shielded and private nodes (egress through Cloud NAT), a release channel, no
legacy metadata endpoints, a control plane reachable only from the CIDRs
queues.yaml lists, a dedicated node service account, Binary Authorization
enforcing the project's policy (GCP's default policy allows every image;
tighten it with attestors without touching this stack) and, when
queues.yaml names the group, Google Groups for RBAC. The default node pool
is removed; GkeNodePool adds one autoscaling pool per queue that asks
for one.
"""

from __future__ import annotations

from typing import Any, TypedDict

from constructs import Construct

from constructs_lib.infra.jsii.providers import google
from constructs_lib.queues.model import Gke

PODS_RANGE = "pods"
SERVICES_RANGE = "services"
BINARY_AUTHORIZATION_MODE = "PROJECT_SINGLETON_POLICY_ENFORCE"


class NodeSettings(TypedDict):
    """Keywords both node configurations take (the cluster's and a pool's): mypy checks them against each."""

    service_account: str
    oauth_scopes: list[str]
    image_type: str
    workload_metadata_config: dict[str, str]
    shielded_instance_config: dict[str, bool]
    metadata: dict[str, str]


def node_settings(service_account_email: str) -> NodeSettings:
    """What every node of the cluster gets, the removed default pool's included."""
    return {
        "service_account": service_account_email,
        "oauth_scopes": ["https://www.googleapis.com/auth/cloud-platform"],
        "image_type": "COS_CONTAINERD",
        "workload_metadata_config": {"mode": "GKE_METADATA"},
        "shielded_instance_config": {"enable_secure_boot": True, "enable_integrity_monitoring": True},
        "metadata": {"disable-legacy-endpoints": "true"},
    }


class GkeCluster(Construct):
    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        project: str,
        gke: Gke,
        network: str,
        subnetwork: str,
        node_service_account_email: str,
        depends_on: list[Any] | None = None,
    ):
        super().__init__(scope, id)
        self.region = gke.region
        self.cluster = google.ContainerCluster(
            self,
            "cluster",
            name=gke.name,
            project=project,
            location=gke.region,
            description="Buildkite agent-stack-k8s cluster for the Kubernetes-backed queues",
            network=network,
            subnetwork=subnetwork,
            networking_mode="VPC_NATIVE",
            ip_allocation_policy={
                "cluster_secondary_range_name": PODS_RANGE,
                "services_secondary_range_name": SERVICES_RANGE,
            },
            remove_default_node_pool=True,
            initial_node_count=1,
            node_config=google.ContainerClusterNodeConfig(**node_settings(node_service_account_email)),
            deletion_protection=True,
            release_channel={"channel": gke.release_channel},
            workload_identity_config={"workload_pool": f"{project}.svc.id.goog"},
            enable_shielded_nodes=True,
            private_cluster_config={
                "enable_private_nodes": True,
                "enable_private_endpoint": False,
                "master_ipv4_cidr_block": gke.master_cidr,
            },
            master_authorized_networks_config=google.ContainerClusterMasterAuthorizedNetworksConfig(
                cidr_blocks=[
                    google.ContainerClusterMasterAuthorizedNetworksConfigCidrBlocks(
                        cidr_block=cidr, display_name=f"operators-{i}"
                    )
                    for i, cidr in enumerate(gke.authorized_networks)
                ],
                gcp_public_cidrs_access_enabled=False,
            ),
            master_auth={"client_certificate_config": {"issue_client_certificate": False}},
            binary_authorization=google.ContainerClusterBinaryAuthorization(evaluation_mode=BINARY_AUTHORIZATION_MODE),
            authenticator_groups_config=(
                google.ContainerClusterAuthenticatorGroupsConfig(security_group=gke.rbac_security_group)
                if gke.rbac_security_group
                else None
            ),
            enable_legacy_abac=False,
            enable_intranode_visibility=True,
            # Dataplane V2 enforces NetworkPolicy itself; the legacy Calico addon stays off.
            datapath_provider="ADVANCED_DATAPATH",
            network_policy={"enabled": False},
            resource_labels={"purpose": "buildkite-agents"},
            # The default pool's settings are read back from whichever pool
            # comes first once it is gone; a diff there would replace the cluster.
            lifecycle={"ignore_changes": ["node_config", "initial_node_count"]},
            depends_on=depends_on,
        )

    @property
    def cluster_id(self) -> str:
        return self.cluster.id

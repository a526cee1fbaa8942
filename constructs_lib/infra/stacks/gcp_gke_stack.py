"""GcpGkeStack: the optional GKE cluster, its network, node service account and node pools."""

from __future__ import annotations

from cdktf import TerraformOutput
from constructs import Construct

from constructs_lib.infra.gcp.gke_cluster import PODS_RANGE, SERVICES_RANGE, GkeCluster
from constructs_lib.infra.gcp.gke_node_pool import GkeNodePool
from constructs_lib.infra.gcp.private_network import PrivateNetwork, SubnetSpec
from constructs_lib.infra.gcp.service_account import ServiceAccount
from constructs_lib.infra.stacks.gcp_stack import GcpStack
from constructs_lib.queues import gcp_names as names
from constructs_lib.queues.model import QueuesFile

# GKE's documented minimal node role, plus pulling CI images from Artifact Registry.
NODE_ROLES = ["roles/container.defaultNodeServiceAccount", "roles/artifactregistry.reader"]


class GcpGkeStack(GcpStack):
    def __init__(self, scope: Construct, id: str, *, model: QueuesFile):
        super().__init__(scope, id, model=model)
        gcp = self.gcp
        gke = model.gke_settings()
        network = PrivateNetwork(
            self,
            "network",
            name=names.gke_network_name(gke.name),
            subnets={
                gke.region: SubnetSpec(gke.subnet_cidr, {PODS_RANGE: gke.pods_cidr, SERVICES_RANGE: gke.services_cidr})
            },
        )
        nodes = ServiceAccount(
            self,
            "nodes",
            project=gcp.project,
            account_id=names.GKE_NODE_ACCOUNT,
            display_name=f"GKE nodes of {gke.name}",
            roles=NODE_ROLES,
        )
        self.cluster = GkeCluster(
            self,
            "cluster",
            project=gcp.project,
            gke=gke,
            network=network.network.id,
            subnetwork=network.subnets[gke.region].id,
            node_service_account_email=nodes.email,
            # Nodes register only once their service account holds its roles.
            depends_on=nodes.grants,
        )
        self.pools = {
            pool_name: GkeNodePool(
                self,
                f"pool-{pool_name}",
                cluster=self.cluster,
                name=pool_name,
                pool=pool,
                node_service_account_email=nodes.email,
            )
            for pool_name, pool in gke.node_pools.items()
        }
        TerraformOutput(self, "cluster-name", value=self.cluster.cluster.name)

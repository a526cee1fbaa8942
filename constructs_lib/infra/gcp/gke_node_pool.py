"""GkeNodePool: one autoscaling node pool serving one Kubernetes-backed queue."""

from __future__ import annotations

from constructs import Construct

from constructs_lib.infra.gcp.gke_cluster import GkeCluster, node_settings
from constructs_lib.infra.jsii.providers import google
from constructs_lib.queues import gcp_names as names
from constructs_lib.queues.model import GkeNodePool as GkeNodePoolSpec


class GkeNodePool(Construct):
    """Nodes carry the Kubernetes label buildkite-queue=<queue>, which agent-stack-k8s selects on."""

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        cluster: GkeCluster,
        name: str,
        pool: GkeNodePoolSpec,
        node_service_account_email: str,
    ):
        super().__init__(scope, id)
        accelerators = []
        if pool.accelerator_type:
            accelerators.append(
                google.ContainerNodePoolNodeConfigGuestAccelerator(
                    type=pool.accelerator_type,
                    count=pool.accelerator_count,
                    gpu_driver_installation_config={"gpu_driver_version": "LATEST"},
                )
            )
        self.pool = google.ContainerNodePool(
            self,
            "pool",
            name=name,
            cluster=cluster.cluster_id,
            location=cluster.region,
            node_locations=list(pool.zones),
            autoscaling={
                "total_min_node_count": pool.min_nodes,
                "total_max_node_count": pool.max_nodes,
                "location_policy": "ANY",
            },
            management={"auto_repair": True, "auto_upgrade": True},
            node_config=google.ContainerNodePoolNodeConfig(
                **node_settings(node_service_account_email),
                machine_type=pool.machine_type,
                disk_size_gb=pool.disk_size_gb,
                disk_type="pd-balanced",
                guest_accelerator=accelerators or None,
                labels={"buildkite-queue": names.label_value(pool.queue)},
                resource_labels={"buildkite-queue": names.label_value(pool.queue)},
            ),
        )

"""GcpTpuStack: every TPU queue's fleet, their private network, service account, secrets and disk keys."""

from __future__ import annotations

from cdktf import TerraformOutput
from constructs import Construct

from constructs_lib.infra.gcp.agent_secrets import AgentSecrets
from constructs_lib.infra.gcp.disk_encryption import DiskEncryption
from constructs_lib.infra.gcp.private_network import PrivateNetwork, SubnetSpec
from constructs_lib.infra.gcp.service_account import ServiceAccount
from constructs_lib.infra.gcp.tpu_fleet import TpuFleet
from constructs_lib.infra.jsii.providers import generic_provider
from constructs_lib.infra.stacks.gcp_stack import LABELS, GcpStack
from constructs_lib.infra.stacks.queue_scope import MAIN, KeepsQueueAddresses, queue_scope
from constructs_lib.queues import agent_tokens
from constructs_lib.queues import gcp_names as names
from constructs_lib.queues.model import QueuesFile

# What an agent machine may do besides reading its two secrets: write its logs and metrics.
AGENT_ROLES = ["roles/logging.logWriter", "roles/monitoring.metricWriter"]


class GcpTpuStack(KeepsQueueAddresses, GcpStack):
    def __init__(self, scope: Construct, id: str, *, model: QueuesFile):
        super().__init__(scope, id, model=model)
        gcp = self.gcp
        fleets = model.tpu_fleets()
        regions = sorted({names.zone_region(f.zone) for f in fleets.values()})
        network = PrivateNetwork(
            self, "network", name=gcp.network.name, subnets={r: SubnetSpec(gcp.network.subnets[r]) for r in regions}
        )
        agents = ServiceAccount(
            self,
            "agents",
            project=gcp.project,
            account_id=names.TPU_AGENT_ACCOUNT,
            display_name="Buildkite TPU agents: read the agent and HF token secrets",
            roles=AGENT_ROLES,
        )
        secrets = AgentSecrets(
            self,
            "secrets",
            project=gcp.project,
            secret_ids=secret_ids(model),
            reader=agents.member,
        )
        disk_keys = DiskEncryption(
            self,
            "disk-encryption",
            project=gcp.project,
            network=gcp.network.name,
            regions=regions,
            labels={"purpose": "agent-disks"},
        )
        beta = None
        if any(f.architecture == "vm" for f in fleets.values()):
            beta = generic_provider(
                self, "google-beta", name="google-beta", project=gcp.project, region=gcp.region, default_labels=LABELS
            )
        for queue_name, fleet in fleets.items():
            region = names.zone_region(fleet.zone)
            scope = queue_scope(self, queue_name)
            tpus = TpuFleet(
                scope,
                MAIN,
                project=gcp.project,
                queue_name=queue_name,
                fleet=fleet,
                agent_token_secret=agent_tokens.gcp_token_secret(model, queue_name) or "",
                hf_token_secret=gcp.secrets.hf_token,
                verification=verification(model, queue_name),
                network=network.network,
                subnetwork_id=network.subnets[region].id,
                service_account_email=agents.email,
                disk_key=disk_keys.keys[region],
                beta_provider=beta,
                # The agents read their secrets at boot: grant access first.
                depends_on=secrets.grants,
            )
            TerraformOutput(scope, "tpus", value=tpus.tpu_names)
        TerraformOutput(self, "agent-service-account", value=agents.email)


def secret_ids(model: QueuesFile) -> dict[str, str]:
    """The secrets TPU agents read, by construct id: their clusters' tokens, the HF token, the public signing key.

    One token keeps the id `agent_token` it had before clusters, so a deployed fleet's secret (and its value) moves nowhere;
    several are told apart by name.
    """
    gcp = model.gcp_settings()
    tokens = sorted({secret for name in model.tpu_fleets() if (secret := agent_tokens.gcp_token_secret(model, name))})
    found = {"hf_token": gcp.secrets.hf_token}
    if len(tokens) == 1:
        found["agent_token"] = tokens[0]
    else:
        found.update({f"agent_token_{token}": token for token in tokens})
    public_key = agent_tokens.public_key_secret(model)
    if public_key is not None:
        found["verification_jwks"] = public_key
    return found


def verification(model: QueuesFile, queue_name: str) -> tuple[str, str]:
    """The public key's secret and warn or block for a TPU queue's agents; empty when nothing is signed."""
    behaviour = model.verification_failure(queue_name)
    public_key = agent_tokens.public_key_secret(model)
    return (public_key, behaviour) if behaviour is not None and public_key is not None else ("", "")

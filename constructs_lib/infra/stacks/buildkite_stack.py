"""BuildkiteStack: the organization's clusters, a cluster queue for every queue, the pipelines and their schedules.

The provider's API token comes from the operator's environment
(BUILDKITE_API_TOKEN), never from queues.yaml, a synthesized file or the
state. Its state is local, beside the output folder, as the state stacks'
are: Buildkite comes first in a deployment, before any state bucket exists.
"""

from __future__ import annotations

from cdktf import TerraformOutput, TerraformStack
from constructs import Construct

from constructs_lib.bootstrap import pipeline_steps
from constructs_lib.infra.buildkite.cluster import BuildkiteCluster
from constructs_lib.infra.buildkite.pipeline import BuildkitePipeline, signing_file_variable
from constructs_lib.infra.jsii.providers import generic_provider
from constructs_lib.infra.stacks.local_state import keep_local_state
from constructs_lib.queues.model import BuildkiteOrg, QueuesFile


class BuildkiteStack(TerraformStack):
    def __init__(self, scope: Construct, id: str, *, model: QueuesFile):
        super().__init__(scope, id)
        org: BuildkiteOrg = model.buildkite  # type: ignore[assignment]  # the app builds this stack only with a buildkite section
        provider = generic_provider(self, "buildkite", name="buildkite", organization=org.organization)
        # Local state, as the state stacks keep: Buildkite comes first in a deployment, before any cloud
        # holds a state bucket, and its state holds no secret (the signing key is read from a file by path).
        keep_local_state(self, id)
        clusters = {}
        for name, cluster in org.clusters.items():
            members = {q: queue for q, queue in model.queues.items() if model.cluster_of(q) == name}
            clusters[name] = BuildkiteCluster(
                self, f"cluster-{name}", provider=provider, name=name, cluster=cluster, queues=members
            )
            TerraformOutput(self, f"cluster-{name}-id", value=clusters[name].id)
        signing_file = signing_file_variable(self).string_value if org.signing is not None and org.pipelines else None
        for slug, pipeline in org.pipelines.items():
            built = BuildkitePipeline(
                self,
                f"pipeline-{slug}",
                provider=provider,
                slug=slug,
                pipeline=pipeline,
                cluster_id=clusters[pipeline.cluster or org.first_cluster()].id,
                steps=pipeline_steps.stored_steps(model, slug),
                signing=org.signing,
                signing_file=signing_file,
            )
            TerraformOutput(self, f"pipeline-{slug}-webhook", value=built.pipeline.get_string_attribute("webhook_url"))

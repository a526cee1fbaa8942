"""Where each queue's agents read their Buildkite agent token, and the signing keys.

An agent connects only to a queue of the cluster its token belongs to, so the
token a queue's hosts read is its cluster's (buildkite.clusters); a file
without a buildkite section has one token for every queue (aws.agent_token_path,
gcp.secrets.agent_token). Pure: names only, never a value.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Optional

if TYPE_CHECKING:
    from constructs_lib.queues.model import QueuesFile


def aws_token_path(model: QueuesFile, queue_name: str) -> Optional[str]:
    """The SSM path of the token an AWS queue's agents read (in the queue's region); None when the file names none (a loader problem)."""
    aws = model.queues[queue_name].aws
    if aws is not None and aws.agent_token_path:
        return aws.agent_token_path
    cluster = model.cluster_of(queue_name)
    if cluster is not None and model.buildkite is not None:
        path = model.buildkite.clusters[cluster].agent_token_path
    else:
        path = model.aws.agent_token_path if model.aws is not None else None
    return path


def gcp_token_secret(model: QueuesFile, queue_name: str) -> Optional[str]:
    """The Secret Manager secret of the token a TPU or Kubernetes queue's agents read."""
    cluster = model.cluster_of(queue_name)
    if cluster is not None and model.buildkite is not None:
        secret = model.buildkite.clusters[cluster].agent_token_secret
    else:
        secret = model.gcp.secrets.agent_token if model.gcp is not None else None
    return secret


def signs(model: QueuesFile, queue_name: str) -> bool:
    """Whether queue `name`'s agents sign what they upload: the bootstrap queue, when signing is on."""
    return model.buildkite is not None and model.buildkite.signing is not None and queue_name == model.bootstrap_queue()


def public_key_secret(model: QueuesFile) -> Optional[str]:
    signing = model.buildkite.signing if model.buildkite is not None else None
    return signing.public_key_secret if signing is not None else None

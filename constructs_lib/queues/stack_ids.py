"""The ids of the synthesized stacks (`cdktf.out/stacks/<id>`).

Pure: no cdktf, so that the summary `make synth` prints can name the stacks
without importing them.
"""

BUILDKITE = "buildkite"
AWS_STATE = "aws-state"
GCP_STATE = "gcp-state"
GCP_TPU = "gcp-tpu"
GCP_GKE = "gcp-gke"


def aws_region(region: str) -> str:
    """The stack of every AWS queue of one region."""
    return f"aws-{region}"

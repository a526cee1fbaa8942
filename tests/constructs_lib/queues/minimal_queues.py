"""A small hand-written queues.yaml, and the helpers the loader tests mutate and load it with."""

from __future__ import annotations

import pytest

from constructs_lib.queues.loader import parse_queues
from constructs_lib.queues.problems import LoadError

MINIMAL = """\
aws:
  region: us-west-2
  stack_version: v6.71.1
  agent_token_path: /buildkite/agent-token
  hf_token_secret: ci/hf-token
  state:
    bucket: test-state-bucket
    lock_table: test-locks
  networks:
    us-west-2:
      vpc_cidr: 10.0.0.0/16
routing:
  default_gpu: l4
queues:
  cpu_queue:
    aws:
      instance_types: [r6in.large]
      min_size: 0
      max_size: 4
  gpu_4_queue:
    accelerator: {type: l4, count: 4}
    aws:
      instance_types: [g6.12xlarge]
      min_size: 1
      max_size: 8
"""

# A gcp section the rule tests add to MINIMAL (the loader's own tests write theirs in YAML).
GCP = {
    "project": "acme-ci-1234",
    "region": "us-central1",
    "state": {"bucket": "acme-state-gcp"},
    "secrets": {"agent_token": "agent-token", "hf_token": "hf-token"},
    "network": {"subnets": {"us-central1": "10.40.0.0/20"}},
}


def problems(text: str | bytes, file: str = "queues.yaml") -> list[str]:
    """The problem lines of loading `text`, which must fail."""
    data = text.encode() if isinstance(text, str) else text
    with pytest.raises(LoadError) as caught:
        parse_queues(data, file)
    return [str(p) for p in caught.value.problems]


def edit(old: str, new: str, text: str = MINIMAL) -> str:
    """`text` with its first `old` replaced by `new` (which must be there)."""
    assert old in text, old
    return text.replace(old, new, 1)

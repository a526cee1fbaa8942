"""A small hand-written queues.yaml that the loader tests mutate line by line."""

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

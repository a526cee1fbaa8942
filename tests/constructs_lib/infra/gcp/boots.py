"""AgentBoot values as the default files' fleets give them (project and secret names fixed)."""

from __future__ import annotations

from constructs_lib.infra.gcp.startup_script import AgentBoot


def agent_boot(
    *,
    queue: str,
    tpu: str,
    zone: str,
    accelerator_type: str,
    architecture: str,
    verification: tuple[str, str] = ("", ""),
) -> AgentBoot:
    return AgentBoot(
        project="vllm-ci-infra",
        queue=queue,
        tpu_name=tpu,
        tpu_zone=zone,
        accelerator_type=accelerator_type,
        architecture=architecture,
        agent_token_secret="buildkite-agent-token",
        hf_token_secret="hf-token",
        verification_jwks_secret=verification[0],
        verification_failure=verification[1],
    )

"""The bootstrap queue's agent can read the key that signs pipelines: nothing a fork's PR writes runs there.

The default file signs. A fork's step that asks for the bootstrap queue by its
tags, one no queue can run, and one the bootstrap cannot honour all end up
either elsewhere or as the generator's failing step on the bootstrap queue,
whose commands are the generator's and whose reason is data in its env.
"""

from __future__ import annotations

from constructs_lib.bootstrap.jobs import FAILURE_REASON

from .helpers import default_queues, run, steps_of

FORK = {"branch": "someone:feature", "pull_request": "7", "untrusted": True, "run_all": True}
STEPS = """\
steps:
- label: Asks for the signing host
  agents: {queue: bootstrap}
  agent_tags: {queue: bootstrap}
  commands: [cat /etc/buildkite-agent/signing-key.json]
- label: No queue can run it
  device: no-such-device
  commands: [cat /etc/buildkite-agent/signing-key.json]
- label: Cannot be honoured
  num_nodes: 2
  no_plugin: true
  commands: [[cat /etc/buildkite-agent/signing-key.json], [b]]
- label: A host step
  no_plugin: true
  commands: [cat /etc/buildkite-agent/signing-key.json]
"""


def test_a_forks_steps_never_run_their_own_commands_on_the_signing_queue():
    model = default_queues()
    assert model.buildkite is not None and model.buildkite.signing is not None, "the default file signs"
    signer = model.bootstrap_queue()
    pipeline = run(STEPS, model, **FORK).pipeline
    on_signer = [s for s in steps_of(pipeline) if s.get("agents", {}).get("queue") == signer]
    assert {s["label"] for s in on_signer} == {"No queue can run it", "Cannot be honoured"}
    for step in on_signer:
        assert step["commands"] == [f'echo "${FAILURE_REASON}" >&2', "exit 1"], step
        assert "plugins" not in step and set(step["env"]) == {FAILURE_REASON}
        assert "signing-key" not in " ".join(step["commands"])
    # A step's own tags never move it to another queue.
    asks = next(s for s in steps_of(pipeline) if s.get("label") == "Asks for the signing host")
    assert asks["agents"]["queue"] != signer

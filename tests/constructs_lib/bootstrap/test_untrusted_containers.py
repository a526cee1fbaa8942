"""What the container of an untrusted build gets: no agent, no secret, no writable shared mount, no host.

Each test is a row of the README's threat table (a fork PR's code in a container).
"""

from __future__ import annotations

import json
import pathlib
import subprocess

from constructs_lib.bootstrap import runners
from constructs_lib.bootstrap.runners import DOCKER_PLUGIN, KUBERNETES_PLUGIN
from constructs_lib.queues.loader import parse_queues

from .helpers import default_queues, run, step, steps_of

STEPS = """\
steps:
- label: L4
  commands: [pytest l4]
  env:
    AWS_SECRET_ACCESS_KEY: from-the-step
    BUILDKITE_AGENT_ACCESS_TOKEN: x
    PLAIN: value
- label: Pods
  device: h100
  commands: [pytest pods]
  env:
    CODECOV_TOKEN: y
- label: B200
  device: b200
  commands: [pytest b200]
"""
FORK = {"branch": "someone:feature", "pull_request": "7", "untrusted": True, "run_all": True}
SAME_REPO_PR = {"branch": "feature", "pull_request": "7", "untrusted": False, "run_all": True}


def _plugin(pipeline: dict, key: str) -> tuple[str, dict]:
    ((name, options),) = step(pipeline, key)["plugins"][0].items()
    return name, options


def _containers(pipeline: dict) -> list[tuple[str, dict]]:
    return [item for s in steps_of(pipeline) for plugin in s.get("plugins", []) for item in plugin.items()]


def test_no_untrusted_container_gets_the_agent():
    trusted = run(STEPS, default_queues(), **SAME_REPO_PR).pipeline
    assert _plugin(trusted, "l4")[1]["mount-buildkite-agent"] is True  # the aws runner asks for it
    untrusted = run(STEPS, default_queues(), **FORK).pipeline
    dockers = [options for name, options in _containers(untrusted) if name == DOCKER_PLUGIN]
    assert dockers and all(options["mount-buildkite-agent"] is False for options in dockers)


def test_no_untrusted_container_mounts_the_hosts_checkout():
    untrusted = run(STEPS, default_queues(), **FORK).pipeline
    assert _plugin(untrusted, "l4")[1]["mount-checkout"] is False
    assert "mount-checkout" not in _plugin(run(STEPS, default_queues(), **SAME_REPO_PR).pipeline, "l4")[1]


def test_step_env_reaches_an_untrusted_container_by_value_never_by_name():
    untrusted = run(STEPS, default_queues(), **FORK).pipeline
    environment = _plugin(untrusted, "l4")[1]["environment"]
    assert "AWS_SECRET_ACCESS_KEY=from-the-step" in environment and "AWS_SECRET_ACCESS_KEY" not in environment
    assert "BUILDKITE_AGENT_ACCESS_TOKEN=x" in environment and "BUILDKITE_AGENT_ACCESS_TOKEN" not in environment
    pod_env = _plugin(untrusted, "pods")[1]["podSpec"]["containers"][0]["env"]
    assert {"name": "CODECOV_TOKEN", "value": "y"} in pod_env
    assert not any("valueFrom" in e for e in pod_env)
    # A trusted build passes them by name, as before.
    trusted = _plugin(run(STEPS, default_queues(), **SAME_REPO_PR).pipeline, "l4")[1]["environment"]
    assert "AWS_SECRET_ACCESS_KEY" in trusted


def test_an_untrusted_steps_env_never_reaches_the_host_side_of_its_job():
    """The agent runs hooks, checkout and the plugin in the job's environment on the host: BASH_ENV, GIT_CONFIG_* would run there."""
    steps = STEPS.replace(
        "    PLAIN: value\n", "    PLAIN: value\n    BASH_ENV: ./evil.sh\n    GIT_CONFIG_COUNT: '1'\n"
    )
    untrusted = run(steps, default_queues(), **FORK).pipeline
    for key in ("l4", "pods"):
        assert not (
            {"BASH_ENV", "GIT_CONFIG_COUNT", "AWS_SECRET_ACCESS_KEY", "PLAIN", "CODECOV_TOKEN"}
            & set(step(untrusted, key).get("env", {}))
        )
    assert "BASH_ENV=./evil.sh" in _plugin(untrusted, "l4")[1]["environment"]  # the container still gets it
    trusted = run(steps, default_queues(), **SAME_REPO_PR).pipeline
    assert step(trusted, "l4")["env"]["BASH_ENV"] == "./evil.sh"


def test_no_untrusted_container_gets_a_secret():
    pipeline = run(STEPS, default_queues(), **FORK).pipeline
    text = json.dumps(pipeline)
    for secret in ("HF_TOKEN", "RAY_COMPAT_SLACK_WEBHOOK_URL", "secretKeyRef", "BUILDKITE_ANALYTICS_TOKEN"):
        assert secret not in text, secret
    for name, options in _containers(pipeline):
        if name == DOCKER_PLUGIN:
            assert "CODECOV_TOKEN" not in options["environment"]  # the runner's secret, by name


def test_shared_host_mounts_are_read_only_for_an_untrusted_container():
    untrusted = run(STEPS, default_queues(), **FORK).pipeline
    for name, options in _containers(untrusted):
        if name == DOCKER_PLUGIN:
            for volume in options["volumes"]:
                host = volume.split(":")[0]
                assert host.startswith("/dev/") or volume.endswith(":ro"), volume
        else:
            for mount in options["podSpec"]["containers"][0]["volumeMounts"]:
                assert mount["name"] == "devshm" or mount.get("readOnly") is True, mount
    trusted = _plugin(run(STEPS, default_queues(), **SAME_REPO_PR).pipeline, "l4")[1]["volumes"]
    assert "/fsx/hf_cache:/fsx/hf_cache" in trusted


RUNNER_WITH_HOST = """\
runners:
  risky:
    plugin: docker
    volumes: [/var/run/docker.sock:/var/run/docker.sock, /cache:/cache, /var/run:/var/run, /:/host, /run/containerd:/containerd]
  risky-pods:
    plugin: kubernetes
    volumes: [/run/containerd/containerd.sock:/run/containerd/containerd.sock]
    pod: {host_network: true, capabilities: [SYS_ADMIN]}
"""


def _risky_model():
    text = (pathlib.Path(__file__).parents[3] / "examples" / "queues-vllm-2024.yaml").read_text()
    return parse_queues(text.replace("\nqueues:\n", "\n" + RUNNER_WITH_HOST + "\nqueues:\n", 1).encode(), "queues.yaml")


def test_no_untrusted_container_gets_the_container_runtimes_socket_or_the_hosts_network():
    model = _risky_model()
    queue = next(name for name, q in model.queues.items() if q.accelerator is None and q.aws is not None)
    container = runners.Container(script="true", image="img", gpu_count=0, trusted=False, hf_token=False)
    docker = runners._docker(model.runners["risky"], "none", container)
    assert docker["volumes"] == ["/cache:/cache:ro"]
    pods = runners._kubernetes(model.runners["risky-pods"], "none", container, None)["podSpec"]
    assert "hostNetwork" not in pods and "securityContext" not in pods["containers"][0]
    assert all("containerd" not in json.dumps(v) for v in pods["containers"][0]["volumeMounts"])
    trusted = runners.Container(script="true", image="img", gpu_count=0, trusted=True, hf_token=False)
    assert "/var/run:/var/run" in runners._docker(model.runners["risky"], "none", trusted)["volumes"]
    assert (
        "/var/run/docker.sock:/var/run/docker.sock"
        in runners._docker(model.runners["risky"], "none", trusted)["volumes"]
    )
    assert runners._kubernetes(model.runners["risky-pods"], "none", trusted, None)["podSpec"]["hostNetwork"] is True
    assert queue  # the file still loads with the runners declared


def test_an_untrusted_containers_downloads_stay_in_the_container(tmp_path):
    """The prelude links the shared cache into a private HF_HOME: reads work, writes land apart."""
    shared = tmp_path / "shared"
    (shared / "hub" / "models--m").mkdir(parents=True)
    (shared / "hub" / "models--m" / "weights").write_text("cached\n")
    private = tmp_path / "private"
    prelude = runners.UNTRUSTED_PRELUDE.replace(runners.UNTRUSTED_HF_HOME, str(private))
    script = (
        prelude
        + 'cat "$HF_HOME/hub/models--m/weights"; mkdir -p "$HF_HOME/hub/models--new"; echo x > "$HF_HOME/hub/models--new/w"; echo "$HF_HOME"'
    )
    out = subprocess.run(
        ["bash", "-ec", script],
        env={"HF_HOME": str(shared), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert out == ["cached", str(private)]
    assert not (shared / "hub" / "models--new").exists()
    assert (private / "hub" / "models--new" / "w").exists()


def test_a_trusted_container_has_no_prelude():
    trusted = _plugin(run(STEPS, default_queues(), **SAME_REPO_PR).pipeline, "l4")[1]
    assert runners.UNTRUSTED_PRELUDE not in trusted["command"][2]
    untrusted = _plugin(run(STEPS, default_queues(), **FORK).pipeline, "l4")[1]
    assert untrusted["command"][2].startswith(runners.UNTRUSTED_PRELUDE)
    assert KUBERNETES_PLUGIN in {name for name, _ in _containers(run(STEPS, default_queues(), **FORK).pipeline)}


ARTIFACTS = """\
steps:
- label: Logs
  commands: [pytest]
  artifact_paths: ["/etc/buildkite-agent/*", "../other-pipeline/**", "~/.ssh/*", "logs/**/*.xml"]
- label: Keys
  commands: [pytest]
  artifact_paths: /var/lib/buildkite-agent/.aws/credentials
"""


def test_an_untrusted_build_uploads_artifacts_from_inside_its_checkout_only():
    result = run(ARTIFACTS, **FORK)
    assert step(result.pipeline, "logs")["artifact_paths"] == ["logs/**/*.xml"]
    assert "artifact_paths" not in step(result.pipeline, "keys")
    assert sum("outside the checkout" in w.message for w in result.warnings) == 4
    trusted = run(ARTIFACTS, **SAME_REPO_PR)
    assert step(trusted.pipeline, "keys")["artifact_paths"] == "/var/lib/buildkite-agent/.aws/credentials"
    assert not any("outside the checkout" in w.message for w in trusted.warnings)


def test_every_container_pulls_its_image_so_an_image_planted_on_a_kept_host_never_runs():
    # A fork's job on a kept GPU host could tag an image of its own with the name a trusted job runs next.
    for options in (FORK, SAME_REPO_PR):
        dockers = [
            o for name, o in _containers(run(STEPS, default_queues(), **options).pipeline) if name == DOCKER_PLUGIN
        ]
        assert dockers and all(o["always-pull"] is True for o in dockers)


def test_on_the_shared_2026_tree_no_container_of_a_fork_pr_gets_the_agent_a_secret_or_a_writable_shared_mount():
    from constructs_lib.bootstrap.cli import read_source
    from constructs_lib.bootstrap.generate import Options, generate
    from tests.conftest import shared_path

    model = default_queues()
    tree = read_source(str(shared_path("vllm-repo-2026-06", ".buildkite", "ci_config.yaml")))
    pipeline = generate(tree, model, Options(base_source=tree, **FORK)).pipeline
    containers = _containers(pipeline)
    assert len(containers) > 100
    secrets = {name for runner in model.runners.values() for name in runner.secrets} | {"HF_TOKEN"}
    text = json.dumps(pipeline)
    assert "secretKeyRef" not in text and "HF_TOKEN" not in text
    for name, options in containers:
        if name == DOCKER_PLUGIN:
            assert options["mount-buildkite-agent"] is False and options["mount-checkout"] is False
            assert not secrets & {entry.split("=", 1)[0] for entry in options["environment"]}
            assert all(v.startswith("/dev/") or v.endswith(":ro") for v in options["volumes"]), options["volumes"]
        else:
            assert name == KUBERNETES_PLUGIN
            pod = options["podSpec"]
            assert "hostNetwork" not in pod
            for container in pod["containers"]:
                assert not secrets & {e["name"] for e in container.get("env", [])}
                assert all(
                    m["name"] == "devshm" or m.get("readOnly") is True for m in container.get("volumeMounts", [])
                )


SHARED_FIELDS = """\
steps:
- label: Notify
  key: notify
  command: pytest
  notify: [{slack: "#vllm-release"}]
  concurrency: 1
  concurrency_group: vllm/release
"""


def test_a_fork_sends_no_notifications_and_joins_no_trusted_concurrency_group():
    trusted = step(run(SHARED_FIELDS, default_queues(), **SAME_REPO_PR).pipeline, "notify")
    assert trusted["notify"] == [{"slack": "#vllm-release"}] and trusted["concurrency_group"] == "vllm/release"
    result = run(SHARED_FIELDS, default_queues(), **FORK)
    untrusted = step(result.pipeline, "notify")
    assert "notify" not in untrusted
    assert untrusted["concurrency_group"] == "untrusted/vllm/release" and untrusted["concurrency"] == 1
    assert any("sends no notifications" in w.message for w in result.warnings)

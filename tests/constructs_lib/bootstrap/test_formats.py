"""The current layout: ci_config.yaml, job directories, job files; and its malformed forms."""

from __future__ import annotations

import pytest

from constructs_lib.bootstrap.cli import read_source, repository_root
from constructs_lib.bootstrap.generate import Options, generate
from constructs_lib.queues.problems import LoadError

from .helpers import CI_CONFIG, fleet_2024, layout, planned, step, unsectioned

IMAGE_BUILD = """\
    group: Build
    steps:
      - label: ":docker: Build image"
        key: image-build
        depends_on: []
        commands:
        - .buildkite/image_build/image_build.sh $REGISTRY $REPO $BUILDKITE_COMMIT $BRANCH $IMAGE_TAG
"""

KERNELS = """\
    group: Kernels
    depends_on:
      - image-build
    steps:
    - label: Kernels Core
      key: kernels-core
      device: h100
      num_devices: 2
      source_file_dependencies:
      - csrc/
      commands:
      - pytest -v -s kernels/core
      mirror:
        amd:
          device: mi325_1
          depends_on: [image-build-amd]
          source_file_dependencies: [vllm/platforms/rocm.py]
        torch_nightly: {}
    - label: Kernels Misc
      commands:
      - pytest -v -s kernels/misc
"""

AMD = """\
    group: Hardware - AMD Build
    steps:
      - label: "AMD: build"
        key: image-build-amd
        device: amd_cpu
        no_plugin: true
        commands:
          - bash .buildkite/scripts/ci-bake-rocm.sh
"""


def tree(tmp_path, **extra) -> str:
    files = {
        ".buildkite/ci_config.yaml": CI_CONFIG.replace(
            '".buildkite/test_areas"', '".buildkite/test_areas"\n      - ".buildkite/image_build"'
        ),
        ".buildkite/image_build/image_build.yaml": IMAGE_BUILD,
        ".buildkite/test_areas/kernels.yaml": KERNELS,
        ".buildkite/test_areas/hardware/amd.yaml": AMD,
    }
    files.update(extra)
    return str(layout(tmp_path, files))


def without_registry():
    """The 2024 fleet without aws.registry: the layout's own `registries` name the image."""
    fleet = fleet_2024()
    return fleet.model_copy(update={"aws": fleet.aws_settings().model_copy(update={"registry": None})})


def generated(tmp_path, **options):
    return generate(read_source(tree(tmp_path)), without_registry(), Options(**options))


def test_job_files_of_every_job_directory_are_read(tmp_path):
    source = read_source(tree(tmp_path))
    # Job directories in ci_config order; files within one in path order.
    assert [s.label for s in source.steps] == ["AMD: build", "Kernels Core", "Kernels Misc", ":docker: Build image"]
    assert source.run_all == ("setup.py", "docker/Dockerfile")
    assert source.run_all_exclude == ("docker/Dockerfile.",)


def test_job_directories_are_relative_to_the_repository_root(tmp_path):
    config = tree(tmp_path)
    assert repository_root(config) == str(tmp_path)


def test_group_depends_on_and_the_job_file_as_dependency(tmp_path):
    core, misc = read_source(tree(tmp_path)).steps[1:3]
    assert core.depends_on == ("image-build",) and core.group == "Kernels"
    assert core.dependencies == ("csrc/", ".buildkite/test_areas/kernels.yaml")
    assert misc.dependencies == (".buildkite/test_areas/kernels.yaml",)


def test_changing_a_job_file_runs_its_steps(tmp_path):
    jobs = planned(generated(tmp_path, changed_files=(".buildkite/test_areas/kernels.yaml",)))
    assert jobs["Kernels Misc"].runs and jobs["Kernels Core"].runs
    other = planned(generated(tmp_path, changed_files=("vllm/x.py",)))
    assert not other["Kernels Misc"].runs


def test_the_layouts_image_build_goes_to_the_builder_and_is_not_added_twice(tmp_path):
    result = generated(tmp_path, changed_files=("csrc/a.cu",), branch="feature")
    builds = [job for job in result.plan if job.key == "image-build"]
    assert len(builds) == 1 and builds[0].queue == "cpu_queue" and builds[0].runs
    build = step(result.pipeline, "image-build")
    # As the tree writes it; the generator's values are the step's env, for the job's shell.
    assert (
        unsectioned(build["commands"])[0]
        == ".buildkite/image_build/image_build.sh $REGISTRY $REPO $BUILDKITE_COMMIT $BRANCH $IMAGE_TAG"
    )
    given = {
        "REGISTRY": "registry.example.com",
        "REPO": "ci-premerge",
        "BRANCH": "feature",
        "IMAGE_TAG": "registry.example.com/ci-premerge:$BUILDKITE_COMMIT",
    }
    assert {k: build["env"].get(k) for k in given} == given
    # And, for the tree's own build script, the caches of its kind of build (image_build.BuildCaches; this fleet declares no
    # layer caches: the sccache bucket alone).
    assert build["env"]["SCCACHE_S3_KEY_PREFIX"] == "premerge/sccache/" and "CACHE_WRITE" not in build["env"]
    assert set(build["env"]) - set(given) - {"DOCKER_BUILDKIT"} == {
        "DEFAULT_BRANCH",
        "SCCACHE_BUCKET_NAME",
        "SCCACHE_REGION_NAME",
        "SCCACHE_S3_KEY_PREFIX",
    }


def test_the_layouts_own_build_script_learns_its_builds_layer_caches(tmp_path):
    from .helpers import fleet_2024

    result = generate(
        read_source(tree(tmp_path)), fleet_2024(), Options(changed_files=("csrc/a.cu",), branch="feature")
    )
    env = step(result.pipeline, "image-build")["env"]
    assert (env["CACHE_WRITE"], env["CACHE_READ"]) == (
        "vllm-ci-test-cache",
        "vllm-ci-test-cache vllm-ci-postmerge-cache",
    )


def test_default_branch_uses_the_main_repository(tmp_path):
    env = step(generated(tmp_path, branch="main").pipeline, "image-build")["env"]
    assert (env["REPO"], env["BRANCH"], env["IMAGE_TAG"]) == (
        "ci-main",
        "main",
        "registry.example.com/ci-main:$BUILDKITE_COMMIT",
    )


def test_mirror_amd_block(tmp_path):
    result = generated(tmp_path, changed_files=("vllm/platforms/rocm.py",))
    jobs = planned(result)
    mirror = jobs["AMD: Kernels Core (mi325_1)"]
    assert mirror.queue == "amd" and mirror.key == "amd-kernels-core"
    assert mirror.depends_on == ("image-build-amd",)
    # The mirror's own dependencies select it; the original waits.
    assert mirror.runs and not jobs["Kernels Core"].runs
    # The AMD image build it needs runs, on the queue listing its device.
    assert jobs["AMD: build"].queue == "amd-cpu" and jobs["AMD: build"].runs
    assert not any(job.label.startswith("AMD: :docker:") for job in result.plan)  # the layout has its own


def test_steps_without_a_device_use_the_default_gpu(tmp_path):
    assert planned(generated(tmp_path))["Kernels Misc"].queue == "gpu_1_queue"


def test_ci_config_outside_a_buildkite_directory(tmp_path):
    (tmp_path / "ci_config.yaml").write_text("job_dirs: [x]\n")
    with pytest.raises(LoadError, match="must be inside the repository's .buildkite directory"):
        read_source(str(tmp_path / "ci_config.yaml"))


def test_missing_job_directory_names_its_line(tmp_path):
    config = layout(tmp_path, {".buildkite/ci_config.yaml": "name: x\njob_dirs:\n  - .buildkite/nowhere\n"})
    with pytest.raises(LoadError) as err:
        read_source(str(config))
    (problem,) = err.value.problems
    assert str(problem).startswith(f"{config}:3: job_dirs: '.buildkite/nowhere' is not a directory")


@pytest.mark.parametrize(
    "content, expected",
    [
        ("group: A\nsteps: {}\n", "steps: must be a list of steps, not a mapping"),
        ("- a\n", "a job file must be a mapping with group and steps, not a list"),
        ("group: [A]\nsteps: []\n", "group: must be a group name, not a list"),
        ("group: A\ndepends_on: [1]\nsteps: []\n", "depends_on: item 0 must be a string, not a number"),
        (
            "group: A\nsteps:\n- label: x\n  commands: [a]\n  mirror: {amd: [x]}\n",
            "steps[0].mirror.amd: must be a mapping, not a list",
        ),
        (
            "group: A\nsteps:\n- label: x\n  commands: [a]\n  env: {A: [1]}\n",
            "steps[0].env: A: must be a string or number, not a list",
        ),
        (
            "group: A\nsteps:\n- label: x\n  commands: [a]\n  key: 'a b'\n",
            "steps[0].key: 'a b' is not a valid step key",
        ),
        (
            "group: A\nsteps:\n- label: x\n  commands: [a]\n  retry: [1]\n",
            "steps[0].retry: must be a mapping (automatic, manual), not a list",
        ),
        (
            "group: A\nsteps:\n- label: x\n  commands: [a]\n  num_devices: many\n",
            "steps[0].num_devices: must be a whole number, not a string",
        ),
    ],
)
def test_malformed_job_files(tmp_path, content, expected):
    config = tree(tmp_path, **{".buildkite/test_areas/bad.yaml": content})
    try:  # a file's own problem refuses it; a step's breaks that step alone
        lines = [str(p) for s in read_source(config).steps for p in s.broken]
    except LoadError as err:
        lines = [str(p) for p in err.problems]
    assert len(lines) == 1 and expected in lines[0], lines
    assert lines[0].startswith(str(tmp_path / ".buildkite/test_areas/bad.yaml") + ":")


@pytest.mark.parametrize(
    "content, expected",
    [
        ("job_dirs: .buildkite/x\n", "job_dirs: must be a list of strings, not a string"),
        ("job_dirs: []\n", "job_dirs: names no job directory"),
        ("job_dirs: [a]\nregistries: [x]\n", "registries: must be a string, not a list"),
        ("job_dirs: [a]\nregistries: 'evil $(rm -rf)'\n", "registries: 'evil $(rm -rf)' is not an image registry"),
        ("job_dirs: [a]\nrepositories: x\n", "repositories: must be a mapping with main and premerge repository names"),
        (
            "job_dirs: [a]\nrepositories: {main: 'Has Space'}\n",
            "repositories.main: 'Has Space' is not an image repository name",
        ),
    ],
)
def test_malformed_ci_config(tmp_path, content, expected):
    config = layout(tmp_path, {".buildkite/ci_config.yaml": content})
    with pytest.raises(LoadError) as err:
        read_source(str(config))
    assert [expected in str(p) for p in err.value.problems] == [True]


def test_unknown_fields_in_the_layout_are_warnings(tmp_path):
    config = tree(
        tmp_path,
        **{
            ".buildkite/test_areas/new.yaml": "group: N\nsteps:\n- label: n\n  commands: [a]\n  shiny: true\n  mirror:\n    amd: {device: mi325_1, sparkle: 1}\n"
        },
    )
    result = generate(read_source(config), fleet_2024(), Options())
    text = [str(w) for w in result.warnings]
    assert any("unknown step field 'shiny'" in w for w in text)
    assert any("mirror.amd.sparkle: unknown mirror field; ignored" in w for w in text)
    assert "shiny" in result.explain


def test_depends_on_a_key_no_step_has(tmp_path):
    config = tree(
        tmp_path,
        **{
            ".buildkite/test_areas/lost.yaml": "group: L\ndepends_on: [image-build-cpu]\nsteps:\n- label: l\n  commands: [a]\n"
        },
    )
    with pytest.raises(LoadError, match="depends_on 'image-build-cpu': no step of the pipeline has that key"):
        generate(read_source(config), fleet_2024(), Options())

"""Routing: hand-written expectations for the reference fleet, and the rules on small fleets."""

from __future__ import annotations

import pytest

from constructs_lib.bootstrap.routing import Needs, Route, Unroutable, route

from .helpers import default_queues, fleet_2024, planned, queues, run, steps_of

# (step as written in a test-pipeline.yaml, queue the reference fleet sends it to)
REFERENCE_FLEET = [
    ("no_gpu: true", "cpu_queue"),
    ("", "gpu_1_queue"),
    ("num_gpus: 1", "gpu_1_queue"),
    ("num_gpus: 2", "gpu_4_queue"),
    ("num_gpus: 4", "gpu_4_queue"),
    ("gpu: a100\n  num_gpus: 4", "a100-queue"),
    ("gpu: a100", "a100-queue"),
    # The reference sent these to L4 queues; the queues that have the hardware take them here.
    ("gpu: h100\n  num_gpus: 8", "h100-queue"),
    ("gpu: h100", "h100-queue"),
    ("gpu: h200\n  num_gpus: 8", "h200-queue"),
    ("gpu: b200", "b200-queue"),
    ("gpu: b200\n  num_gpus: 2", "b200-queue"),
    # num_nodes x GPUs run on one host: 2 x 2 L4s need the four-L4 queue.
    ("num_gpus: 2\n  num_nodes: 2\n  commands: [[a], [b]]", "gpu_4_queue"),
]


@pytest.mark.parametrize("fields, queue", REFERENCE_FLEET)
def test_reference_fleet_routing(fields, queue):
    commands = "" if "commands:" in fields else "\n  command: pytest"
    text = f"steps:\n- label: Step\n  {fields}{commands}\n"
    assert planned(run(text))["Step"].queue == queue


def test_documentation_build_is_pinned_to_the_small_cpu_queue_by_its_label():
    result = run("steps:\n- label: Documentation Build\n  no_gpu: true\n  command: make html\n")
    assert planned(result)["Documentation Build"].queue == "small_cpu_queue"
    assert "small_cpu_queue" in planned(result)["Documentation Build"].rule


@pytest.mark.parametrize("line", ["amd", "amdexperimental", "amdproduction"])
def test_amd_mirror_goes_to_the_queue_declaring_its_hardware_line(line):
    result = run(f"steps:\n- label: Kernels\n  mirror_hardwares: [{line}]\n  command: pytest kernels\n")
    jobs = planned(result)
    assert jobs["AMD: Kernels"].queue == "amd"
    assert jobs["AMD: Kernels"].role == "mirror"
    # The original still runs on its own queue, and the mirror waits for the AMD image.
    assert jobs["Kernels"].queue == "gpu_1_queue"
    assert "image-build-amd" in jobs["AMD: Kernels"].depends_on
    assert jobs["AMD: :docker: build image"].queue == "amd-cpu"


def test_image_build_goes_to_the_aws_builder_queue():
    job = planned(run("steps:\n- label: A\n  command: a\n"))[":docker: build image"]
    builders = [n for n, q in fleet_2024().queues.items() if q.aws and q.aws.builder]
    assert job.queue == builders[0]
    assert job.key == "image-build"


@pytest.mark.parametrize(
    "device, queue",
    [
        ("h100", "h100-queue"),
        ("h200_18gb", "h200-queue"),
        ("b200-k8s", "b200-queue"),
        ("cpu-small", "small_cpu_queue"),
        ("cpu-medium", "cpu_queue"),
        ("intel_cpu", "intel-cpu"),
        ("amd_cpu", "amd-cpu"),
        ("gh200", "gh200-queue"),
    ],
)
def test_named_devices_go_to_the_queue_listing_them(device, queue):
    assert route(Needs("x", None, 1, device=device), fleet_2024()) == Route(queue, f"device {device}")


def test_a_device_no_queue_lists_but_that_is_an_accelerator_type_routes_as_that_type():
    found = route(Needs("x", None, 2, device="a100"), fleet_2024())
    assert isinstance(found, Route) and found.queue == "a100-queue"


def test_general_false_queues_only_take_pins_devices_and_hardware():
    model = queues(
        """\
        queues:
          private-l4:
            accelerator: {type: l4, count: 1}
            routing: {general: false, labels: [Pinned], devices: [l4-special]}
            external: {}
          shared-l4:
            accelerator: {type: l4, count: 4}
            external: {}
        """
    )
    assert route(Needs("Any", "l4", 1), model).queue == "shared-l4"
    assert route(Needs("Pinned", "l4", 1), model).queue == "private-l4"
    assert route(Needs("Any", None, 1, device="l4-special"), model).queue == "private-l4"


def test_fewest_accelerators_that_fit_and_ties_go_to_the_first_declared():
    model = queues(
        """\
        queues:
          eight: {accelerator: {type: l4, count: 8}, external: {}}
          two-a: {accelerator: {type: l4, count: 2}, external: {}}
          two-b: {accelerator: {type: l4, count: 2}, external: {}}
          one: {accelerator: {type: l4, count: 1}, external: {}}
        """
    )
    assert route(Needs("x", "l4", 1), model).queue == "one"
    assert route(Needs("x", "l4", 2), model).queue == "two-a"
    assert route(Needs("x", "l4", 3), model).queue == "eight"


@pytest.mark.parametrize(
    "needs, words",
    [
        (Needs("x", "l4", 8), "at most 4"),
        (Needs("x", "mi999", 1), "no general queue offers accelerator 'mi999'"),
        (Needs("x", None, 1, device="tpu_v9"), "no queue offers device 'tpu_v9'"),
        (Needs("x", None, 0, hardware="riscv"), "no queue lists hardware 'riscv'"),
        (Needs("x", None, 16, device="h100"), "offers 8 per agent; it needs 16"),
    ],
)
def test_unroutable_needs_say_why(needs, words):
    found = route(needs, fleet_2024())
    assert isinstance(found, Unroutable)
    assert words in found.reason


UNROUTABLE_STEPS = (
    "steps:\n"
    "- label: Fine\n  command: a\n"
    "- label: Eight L4\n  num_gpus: 8\n  command: b\n"
    "- label: Exotic\n  gpu: mi999\n  command: c\n"
)


def test_unroutable_steps_become_failing_steps_and_everything_else_is_uploaded():
    result = run(UNROUTABLE_STEPS)
    steps = {s["key"]: s for s in steps_of(result.pipeline) if "key" in s}
    assert steps["fine"]["agents"]["queue"] == "gpu_1_queue"
    for key in ("eight-l4", "exotic"):
        step = steps[key]
        assert step["agents"]["queue"] == "bootstrap" and "depends_on" not in step
        assert step["commands"][-1] == "exit 1" and "no declared queue can run" in step["env"]["CI_FAILURE_REASON"]
    assert [str(e).split(": ")[1] for e in result.errors] == ["steps[1]", "steps[2]"]
    assert "#### Errors" in result.explain and "Eight L4" in result.explain


def test_unroutable_steps_stop_generation_under_strict_and_each_is_listed():
    from constructs_lib.queues.problems import LoadError

    with pytest.raises(LoadError) as err:
        run(UNROUTABLE_STEPS, strict=True)
    lines = [str(p) for p in err.value.problems]
    assert len(lines) == 2
    assert lines[0].startswith("test-pipeline.yaml:4: steps[1]: no declared queue can run 'Eight L4'")
    assert lines[1].startswith("test-pipeline.yaml:7: steps[2]: no declared queue can run 'Exotic'")


def test_without_a_builder_queue_the_image_build_is_unroutable():
    from constructs_lib.queues.problems import LoadError

    model = queues("queues:\n  gpus: {accelerator: {type: l4, count: 4}, external: {}}\n  cpus: {external: {}}\n")
    with pytest.raises(LoadError, match="no AWS queue has aws.builder"):
        run("steps:\n- label: A\n  command: a\n", model, strict=True)
    assert "no AWS queue has aws.builder" in str(run("steps:\n- label: A\n  command: a\n", model).errors[0])


def test_every_queue_a_job_lands_on_is_declared():
    text = "steps:\n" + "".join(
        f"- label: S{i}\n  {f}\n  command: x\n" for i, (f, _) in enumerate(REFERENCE_FLEET) if "[[" not in f
    )
    declared = set(fleet_2024().queues)
    assert {job.queue for job in run(text, run_all=True).plan} <= declared


FLEET = queues("""\
queues:
  amd_mi300_1: {accelerator: {type: mi300, count: 1}, routing: {general: false}, external: {}}
  amd_mi300_8: {accelerator: {type: mi300, count: 8}, routing: {general: false}, external: {}}
  amd_mi300_4: {accelerator: {type: mi300, count: 4}, routing: {general: false}, external: {}}
  h200_18gb: {accelerator: {type: h200, count: 1, partition: 18gb}, routing: {general: false}, external: {}}
  H200: {accelerator: {type: h200, count: 8}, routing: {general: false}, external: {}}
  b200: {accelerator: {type: b200, count: 8}, routing: {general: false}, kubernetes: {}}
  l4: {accelerator: {type: l4, count: 1}, external: {}}
  cpu: {external: {}}
""")


@pytest.mark.parametrize(
    "device, queue",
    [
        ("mi300_4", "amd_mi300_4"),  # the exact count per agent
        ("mi300_1", "amd_mi300_1"),
        ("mi300_2", "amd_mi300_4"),  # a new count of a declared family: the fewest that fit
        ("mi300", "amd_mi300_1"),
        ("h200_18gb", "h200_18gb"),  # a GPU partition
        ("h200", "H200"),  # whole GPUs, not the partition
        ("b200-k8s", "b200"),  # a variant of a declared family
    ],
)
def test_a_device_name_routes_by_what_it_describes(device, queue):
    found = route(Needs("x", None, 1, device=device), FLEET)
    assert isinstance(found, Route) and found.queue == queue


@pytest.mark.parametrize(
    "device, reason",
    [
        ("mi300_16", "no queue offers 16 x mi300 per agent"),
        ("h200_35gb", "no queue offers h200 with partition 35gb"),
        ("mi355_1", "no queue offers device 'mi355_1'"),
    ],
)
def test_a_device_nothing_describes_is_unroutable_saying_why(device, reason):
    found = route(Needs("x", None, 1, device=device), FLEET)
    assert isinstance(found, Unroutable) and reason in found.reason


def test_a_new_count_of_the_default_files_amd_family_routes():
    found = route(Needs("x", None, 1, device="mi325_4"), default_queues())
    assert isinstance(found, Route) and found.queue == "amd_mi325_4"
    # A count no queue of its own offers: the fewest that fit.
    found = route(Needs("x", None, 1, device="mi355_3"), default_queues())
    assert isinstance(found, Route) and found.queue == "amd_mi355_4"

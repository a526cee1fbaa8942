"""The registry of hosting kinds: one section field and one kind per key, and every part of the toolkit asks the kind."""

from __future__ import annotations

import copy

import pytest
import yaml

from constructs_lib.bootstrap import render, routing, runners
from constructs_lib.queues import hostings, summary
from constructs_lib.queues.hostings import KINDS, Hostings, kind_of
from constructs_lib.queues.loader import load_queues
from constructs_lib.queues.model import QueuesFile
from tests.conftest import REPO
from tests.constructs_lib.queues.minimal_queues import MINIMAL


def test_each_kind_is_a_section_of_a_queue_and_the_sections_are_the_kinds():
    assert [kind.key for kind in KINDS] == list(Hostings.model_fields) == list(hostings.HOSTINGS)
    assert len({kind.key for kind in KINDS}) == len(KINDS)


def test_each_kind_builds_its_infrastructure():
    from constructs_lib.infra.hostings import stack_builder

    for key in hostings.HOSTINGS:
        assert callable(stack_builder(key)), key


def test_every_queue_of_the_default_file_has_its_kind():
    model = load_queues(REPO / "queues.yaml")
    for name, queue in model.queues.items():
        kind = kind_of(queue)
        assert getattr(queue, kind.key) is not None and queue.hosting == kind.key
        row = kind.summary_row(model, name, queue)
        assert len(row) == len(summary.HEADER) and row[0] == name


def with_queue(section: dict, **queue: object) -> QueuesFile:
    data = yaml.safe_load(MINIMAL)
    data["queues"]["extra"] = {**section, **queue}
    return QueuesFile.model_validate(copy.deepcopy(data), strict=False)


@pytest.mark.parametrize(
    "section, plugin, hf_token",
    [
        ({"aws": {"instance_types": ["r6in.large"], "max_size": 1}}, "docker", False),
        ({"aws": {"instance_types": ["r6in.large"], "max_size": 1, "needs_hf_token": True}}, "docker", True),
        ({"kubernetes": {}}, "kubernetes", True),
        ({"external": {}}, "docker", True),
    ],
)
def test_the_generator_asks_the_kind_for_the_default_plugin_and_the_hf_token(section, plugin, hf_token):
    model = with_queue(section)
    assert runners.runner_of(model, "extra").plugin == plugin == kind_of(model.queues["extra"]).default_plugin
    assert render.hf_token_allowed(model.queues["extra"], model, trusted=True) is hf_token
    assert render.hf_token_allowed(model.queues["extra"], model, trusted=False) is False


def test_only_a_kind_that_builds_images_takes_image_builds():
    builder = with_queue({"aws": {"instance_types": ["r6in.large"], "max_size": 1, "builder": True}})
    assert kind_of(builder.queues["extra"]).builds_images(builder.queues["extra"]) is True
    for section in ({"kubernetes": {}}, {"external": {}}, {"aws": {"instance_types": ["r6in.large"], "max_size": 1}}):
        model = with_queue(section)
        assert kind_of(model.queues["extra"]).builds_images(model.queues["extra"]) is False
    needs = routing.Needs(label="build", builder=True, architecture="x86_64")
    assert routing.route(needs, builder, "premerge").queue == "extra"


@pytest.mark.parametrize(
    "section, pods",
    [
        ({"kubernetes": {}}, True),  # agent-stack-k8s
        ({"external": {"pods": True}}, True),  # a partner's agent-stack-k8s (vLLM's AMD queues)
        ({"external": {}}, False),
        ({"aws": {"instance_types": ["r6in.large"], "max_size": 1}}, False),
    ],
)
def test_the_kind_says_whether_its_agents_run_jobs_as_pods(section, pods):
    model = with_queue(section)
    assert kind_of(model.queues["extra"]).runs_pods(model.queues["extra"]) is pods

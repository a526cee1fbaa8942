"""Beside vLLM's own generator on variants of the shared tree: the classes of step the shared tree lacks.

The variants and their scenarios are `peer_variants`; what vLLM's generator of
the tree's era decided for each step is `peer_oracles/` (made by
`make_peer_oracles.py`). Every step is compared on the fields of `peer.FIELDS`;
what differs must be a difference the README lists (test_peer.KNOWN), and
each variant shows the class it was made for.
"""

from __future__ import annotations

import functools
import json
import pathlib

import pytest

from constructs_lib.bootstrap.cli import read_source
from constructs_lib.bootstrap.generate import Options, generate

from . import peer, peer_variants, test_peer
from .helpers import default_queues
from .test_peer import KNOWN, Difference

CASES = [(variant, scenario) for variant, scenarios in peer_variants.RUNS.items() for scenario in scenarios]


@functools.lru_cache(maxsize=None)
def _tree(variant: str, root: str) -> pathlib.Path:
    return peer_variants.build(variant, pathlib.Path(root))


@pytest.fixture(scope="module")
def trees(tmp_path_factory):
    peer.tree()  # skips, saying why, without ../shared
    root = tmp_path_factory.mktemp("variants")
    return {variant: peer_variants.build(variant, root / variant) for variant in peer_variants.VARIANTS}


def ours(trees, variant: str, scenario: str) -> dict:
    given = peer_variants.SCENARIOS[scenario]
    result = generate(
        read_source(str(trees[variant])),
        default_queues(),
        Options(changed_files=given.changed, branch=given.branch, run_all=given.run_all),
    )
    assert result.errors == ()
    return result.pipeline


def theirs(variant: str, scenario: str) -> dict:
    return json.loads(peer_variants.oracle_path(variant, scenario).read_text(encoding="utf-8"))["steps"]


def differences(trees, variant: str, scenario: str) -> list[Difference]:
    return test_peer.compare(scenario, theirs(variant, scenario), peer.fields(ours(trees, variant, scenario)))


@pytest.mark.parametrize("variant, scenario", CASES)
def test_every_step_of_the_variant_agrees_with_vllm_but_for_the_listed_differences(trees, variant, scenario):
    found = differences(trees, variant, scenario)
    assert [d for d in found if not any(known(d) for known in KNOWN.values())] == []


def test_every_oracle_is_compared():
    kept = {(p.parent.name, p.stem) for p in peer_variants.ORACLES.glob("*/*.json")}
    assert kept == set(CASES)


def test_every_listed_difference_still_occurs(trees):
    """On the shared tree's scenarios or on a variant's: a difference the README lists that no longer occurs goes."""
    found = [d for name in test_peer.SCENARIOS for d in test_peer.differences(name)]
    found += [d for variant, scenario in CASES for d in differences(trees, variant, scenario)]
    assert {name for name, known in KNOWN.items() if any(known(d) for d in found)} == set(KNOWN)


def test_each_variant_holds_the_class_it_was_made_for():
    """The oracles are not vacuous: vLLM's generator wrote native AMD jobs, tags and refresh timeouts for them."""
    native = theirs("amd-native", "amd_wrapper")
    pods = {k: f for k, f in native.items() if f["plugin"] == "kubernetes" and "ci_base-build" in (f["image"] or "")}
    assert {"amd-engine-1-gpu", "rocm-kernels-native", "rocm-distributed-native"} <= set(pods)
    assert pods["rocm-kernels-native"]["gpus"] == "2" and pods["rocm-distributed-native"]["agents"] == {"rack": "r7"}
    # A change to the AMD wrapper runs the native jobs, not the docker-in-docker ones.
    assert pods["amd-engine-1-gpu"]["runs"] and not native["rocm-samplers"]["runs"]
    assert native["refresh-rocm-base-amd"]["timeout"] == 540 and native["refresh-rocm-base-amd"]["runs"]
    assert native["rocm-kernels-native"]["timeout"] == 180  # capped
    tags = theirs("tags-and-devices", "main_runall")
    assert tags["intel-gpu-test"]["agents"] == {"label": "production", "gpu": "2+", "mem": "24+"}
    assert tags["v1-attention-b200-plain"]["queue"] == "B200"


@pytest.mark.parametrize("name", test_peer.SCENARIOS)
def test_a_bad_step_fails_alone_and_every_other_step_is_as_on_the_shared_tree(trees, name):
    _, changed = peer.scenario(name)
    result = generate(
        read_source(str(trees["bad-step"])),
        default_queues(),
        Options(changed_files=changed, **test_peer.SCENARIOS[name]),
    )
    (problem,) = result.errors
    assert problem.file.endswith("test_areas/engine.yaml") and "timeout_in_minutes" in str(problem)
    mine, before = peer.fields(result.pipeline), peer.fields(test_peer.ours(name))
    assert mine["engine"]["queue"] == "bootstrap" and before["engine"]["queue"] != "bootstrap"
    assert {k: f for k, f in mine.items() if k != "engine"} == {k: f for k, f in before.items() if k != "engine"}

"""The GCP rows of the table `make synth` prints."""

from __future__ import annotations

from constructs_lib.queues.loader import load_queues
from constructs_lib.queues.summary import rows
from tests.conftest import REPO
from tests.constructs_lib.infra.stacks.gcp_fixtures import ALL_FEATURES


def test_tpu_and_gke_rows():
    by_queue = {row[0]: row for row in rows(load_queues(ALL_FEATURES))}
    assert by_queue["tpu"] == ("tpu", "gcp us-central1-a", "gcp-tpu", "v3-8 node + e2-standard-8 host", "2/2")
    assert by_queue["tpu_v6e"] == ("tpu_v6e", "gcp us-east5-b", "gcp-tpu", "v6e-1 TPU VM", "3/3")
    assert by_queue["gke-l4-4"] == ("gke-l4-4", "gke", "gcp-gke", "g2-standard-48", "1/6")


def test_kubernetes_queues_show_no_stack_while_gke_is_off():
    by_queue = {row[0]: row for row in rows(load_queues(REPO / "queues.yaml"))}
    assert by_queue["tpu"] == ("tpu", "gcp us-central1-a", "gcp-tpu", "v3-8 node + e2-standard-4 host", "8/8")
    assert by_queue["a100_queue"] == ("a100_queue", "kubernetes", "-", "-", "-")

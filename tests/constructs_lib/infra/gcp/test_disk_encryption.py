"""DiskEncryption: a rotating Cloud KMS key per region for the agents' disks, usable by Compute Engine alone."""

from __future__ import annotations

from constructs_lib.infra.gcp.disk_encryption import DiskEncryption
from tests.constructs_lib.infra.construct_synth import of_type, synth


def test_each_region_has_a_kept_rotating_key_that_compute_engine_may_use():
    stack, _ = synth(
        lambda s: DiskEncryption(
            s, "d", project="acme-ci-1234", network="agents", regions=["us-east5", "us-central1"], labels={}
        ),
        provider="google",
    )
    rings = sorted(r["location"] for r in of_type(stack, "google_kms_key_ring"))
    assert rings == ["us-central1", "us-east5"]
    keys = of_type(stack, "google_kms_crypto_key")
    assert len(keys) == 2
    assert all(k["rotation_period"] == "7776000s" and k["lifecycle"] == {"prevent_destroy": True} for k in keys)
    grants = of_type(stack, "google_kms_crypto_key_iam_member")
    assert len(grants) == 2 and all(g["role"] == "roles/cloudkms.cryptoKeyEncrypterDecrypter" for g in grants)
    assert all(g["member"].endswith("@compute-system.iam.gserviceaccount.com") for g in grants)

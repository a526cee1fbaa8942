"""Where the clouds run: the regions and zones queues.yaml may name. Pure data.

AWS: the Elastic CI Stack is published for every commercial AWS region (its
documentation: "all AWS regions except China and US GovCloud"); the pinned
templates themselves resolve the AMI per region at deploy time, so the list
is the commercial regions as of 2026-12. GCP: the public regions and their
zone letters as of 2026-12 (us-central2 is the TPU-only region).

A region missing here is refused with the list's date in the message; add
it here when a cloud opens one.
"""

from __future__ import annotations

AS_OF = "2026-12"

AWS_REGIONS = frozenset(
    {
        "af-south-1",
        "ap-east-1",
        "ap-east-2",
        "ap-northeast-1",
        "ap-northeast-2",
        "ap-northeast-3",
        "ap-south-1",
        "ap-south-2",
        "ap-southeast-1",
        "ap-southeast-2",
        "ap-southeast-3",
        "ap-southeast-4",
        "ap-southeast-5",
        "ap-southeast-7",
        "ca-central-1",
        "ca-west-1",
        "eu-central-1",
        "eu-central-2",
        "eu-north-1",
        "eu-south-1",
        "eu-south-2",
        "eu-west-1",
        "eu-west-2",
        "eu-west-3",
        "il-central-1",
        "me-central-1",
        "me-south-1",
        "mx-central-1",
        "sa-east-1",
        "us-east-1",
        "us-east-2",
        "us-west-1",
        "us-west-2",
    }
)

_ABC = "abc"
GCP_ZONES: dict[str, str] = {
    "africa-south1": _ABC,
    "asia-east1": _ABC,
    "asia-east2": _ABC,
    "asia-northeast1": _ABC,
    "asia-northeast2": _ABC,
    "asia-northeast3": _ABC,
    "asia-south1": _ABC,
    "asia-south2": _ABC,
    "asia-southeast1": _ABC,
    "asia-southeast2": _ABC,
    "australia-southeast1": _ABC,
    "australia-southeast2": _ABC,
    "europe-central2": _ABC,
    "europe-north1": _ABC,
    "europe-north2": _ABC,
    "europe-southwest1": _ABC,
    "europe-west1": "bcd",
    "europe-west2": _ABC,
    "europe-west3": _ABC,
    "europe-west4": _ABC,
    "europe-west6": _ABC,
    "europe-west8": _ABC,
    "europe-west9": _ABC,
    "europe-west10": _ABC,
    "europe-west12": _ABC,
    "me-central1": _ABC,
    "me-central2": _ABC,
    "me-west1": _ABC,
    "northamerica-northeast1": _ABC,
    "northamerica-northeast2": _ABC,
    "northamerica-south1": _ABC,
    "southamerica-east1": _ABC,
    "southamerica-west1": _ABC,
    "us-central1": "abcf",
    "us-central2": "b",
    "us-east1": "bcd",
    "us-east4": _ABC,
    "us-east5": _ABC,
    "us-south1": _ABC,
    "us-west1": _ABC,
    "us-west2": _ABC,
    "us-west3": _ABC,
    "us-west4": _ABC,
}


def aws_region_problem(region: str) -> str | None:
    if region in AWS_REGIONS:
        return None
    if "-gov-" in region or region.startswith("cn-"):
        return f"{region}: the Elastic CI Stack is not published for GovCloud or China regions"
    return f"unknown AWS region {region} (the commercial regions as of {AS_OF}; constructs_lib/queues/places.py lists them)"


def gcp_region_problem(region: str) -> str | None:
    if region in GCP_ZONES:
        return None
    return f"unknown GCP region {region} (the public regions as of {AS_OF}; constructs_lib/queues/places.py lists them)"


def gcp_zone_problem(zone: str) -> str | None:
    region, _, letter = zone.rpartition("-")
    problem = gcp_region_problem(region)
    if problem:
        return problem
    if letter not in GCP_ZONES[region]:
        zones = ", ".join(f"{region}-{z}" for z in GCP_ZONES[region])
        return f"unknown zone {zone}; {region} has {zones}"
    return None

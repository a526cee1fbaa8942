"""The AMI the pinned Elastic CI Stack boots in a region: the source of the toolkit's own AMIs.

    python -m scripts.stack_ami --queues queues.yaml --region us-west-2 [--template aws-stack.yml]

prints `<ami id> <stack version> <SSM parameter of the gpu image> <of the cpu image>`
for scripts/build_ami.sh: the AMI the version's catalog recorded, else from the
stack's template. The published template of each release
(https://s3.amazonaws.com/buildkite-aws-stack/<version>/aws-stack.yml) maps
every region to its AMIs (Mappings.AWSRegion2AMI.<region>.linuxamd64);
--template reads a copy instead. A source template (the repository's own,
whose mapping is `!Ref ImageId` until the release fills it in) has none, and
says so. Exit status 2 with one line for every problem.
"""

from __future__ import annotations

import argparse
import sys
import urllib.request
from typing import Any, Optional

import yaml

from constructs_lib.queues import stack_catalog
from constructs_lib.queues.loader import load_queues
from constructs_lib.queues.problems import LoadError
from scripts import make_stack_catalog

ARCHITECTURES = {"x86_64": "linuxamd64", "arm64": "linuxarm64"}


def template_ami(text: str, region: str, architecture: str = "x86_64") -> str:
    """The AMI id of `region`, or ValueError saying why there is none."""
    template = yaml.load(text, Loader=make_stack_catalog.TemplateLoader) or {}
    amis = make_stack_catalog.region_amis(template)
    if not amis:
        raise ValueError("this template's AMI mapping is not filled in (a source template): use the published one")
    found = amis.get(region, {}).get(ARCHITECTURES[architecture])
    if found is None:
        raise ValueError(f"the template maps no AMI for {region} ({architecture})")
    return found


def stack_catalog_amis(version: str) -> dict[str, Any]:
    """The AMIs the version's catalog recorded from its published template (scripts/make_stack_catalog.py), if any."""
    found = stack_catalog.load(version)
    return found.amis if found is not None else {}


def published_template(version: str) -> str:
    url = f"https://s3.amazonaws.com/buildkite-aws-stack/{version}/aws-stack.yml"
    with urllib.request.urlopen(url, timeout=60) as response:  # noqa: S310 - a fixed https URL
        return str(response.read().decode("utf-8"))


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--queues", default="queues.yaml")
    parser.add_argument("--region", required=True)
    parser.add_argument("--template", help="a copy of the published template (default: download it)")
    args = parser.parse_args(argv)
    try:
        model = load_queues(args.queues)
    except LoadError as err:
        for problem in err.problems:
            print(problem, file=sys.stderr)
        return 2
    settings = model.aws
    if settings is None or settings.images is None:
        print(f"{args.queues}: aws.images: not declared; nothing boots the toolkit's AMIs", file=sys.stderr)
        return 2
    recorded = (stack_catalog_amis(settings.stack_version).get(args.region) or {}).get("linuxamd64")
    if recorded and not args.template:
        print(recorded, settings.stack_version, settings.images.gpu or "-", settings.images.cpu or "-")
        return 0
    try:
        if args.template:
            with open(args.template, encoding="utf-8") as handle:
                text = handle.read()
        else:
            text = published_template(settings.stack_version)
        ami = template_ami(text, args.region)
    except (OSError, ValueError, yaml.YAMLError) as err:
        print(f"{args.template or settings.stack_version}: {err}", file=sys.stderr)
        return 2
    print(ami, settings.stack_version, settings.images.gpu or "-", settings.images.cpu or "-")
    return 0


if __name__ == "__main__":
    sys.exit(main())

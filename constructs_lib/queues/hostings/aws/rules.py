"""Rules of queues.yaml about AWS queues: sizes, stack and role names, the region's network, the pinned stack's catalog, AMIs."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterator

from constructs_lib.queues import findings, stack_catalog
from constructs_lib.queues.findings import Finding, Path
from constructs_lib.queues.hostings.aws import parameters as ecp

if TYPE_CHECKING:
    from constructs_lib.queues.model import QueuesFile


def sizes(model: QueuesFile) -> Iterator[Finding]:
    for name, aws in model.aws_queues().items():
        yield from findings.min_max(("queues", name, "aws"), aws.min_size, aws.max_size, "min_size", "max_size")
        schedule = ecp.option(model, aws, "scheduled_scaling")
        if schedule is not None:
            path: Path = (
                ("queues", name, "aws", "scheduled_scaling")
                if aws.scheduled_scaling
                else ("aws", "queue_defaults", "scheduled_scaling")
            )
            sizes = [
                ("min_size", aws.min_size),
                ("down_min_size", schedule.down_min_size),
                ("up_min_size", schedule.up_min_size),
                ("max_size", aws.max_size),
            ]
            for (low_key, low), (high_key, high) in zip(sizes, sizes[1:], strict=False):
                if low > high:
                    yield (
                        path + ((high_key,) if high_key != "max_size" else (low_key,)),
                        (
                            f"{high_key} ({high}) is below {low_key} ({low}); keep min_size <= down_min_size <= up_min_size <= max_size"
                        ),
                    )


def stack_names(model: QueuesFile) -> Iterator[Finding]:
    # IAM names are case-insensitive: stacks that differ only by case would share their roles' names.
    seen: dict[str, str] = {}
    for name in model.hosted("aws"):
        stack = ecp.stack_name(name)
        role = ecp.instance_role_name(name)
        if len(role) > ecp.MAX_IAM_ROLE_NAME:
            yield (
                ("queues", name),
                (
                    f"gives the Elastic CI Stack's instance role the name {role} ({len(role)} characters; IAM's limit is "
                    f"{ecp.MAX_IAM_ROLE_NAME}); shorten the queue name to at most {ecp.MAX_IAM_ROLE_NAME - len(role) + len(name)}"
                ),
            )
        if stack.lower() in seen:
            yield (
                ("queues", name),
                f"gives the stack name {stack}, as queue {seen[stack.lower()]} does (IAM names ignore case); rename one",
            )
        else:
            seen[stack.lower()] = name


def section(model: QueuesFile) -> Iterator[Finding]:
    aws_queues = model.aws_queues()
    if aws_queues and model.aws is None:
        first = next(iter(aws_queues))
        yield (
            ("queues", first, "aws"),
            "AWS queues need the top-level aws section (region, state, networks, token path)",
        )
        return
    for name, aws in aws_queues.items():
        region = ecp.region(model, aws)
        if model.aws is not None and region not in model.aws.networks:
            path: Path = ("queues", name, "aws", "region") if aws.region else ("queues", name)
            yield path, f"region {region} has no entry under aws.networks"


def catalog(model: QueuesFile) -> Iterator[Finding]:
    if model.aws is None:
        return
    known = stack_catalog.versions()
    reported: set[Any] = set()
    for name, aws in model.aws_queues().items():
        version = ecp.version(model, aws)
        catalog = stack_catalog.load(version)
        base: Path = ("queues", name, "aws")
        if catalog is None:
            path: Path = base + ("stack_version",) if aws.stack_version else ("aws", "stack_version")
            yield (
                path,
                f"no parameter catalog for Elastic CI Stack {version} (have {', '.join(known)}); add it with scripts/make_stack_catalog.py",
            )
            continue
        overrides = ecp.overrides(model, aws)
        for parameter, (where, value) in overrides.items():
            full = where if where[0] == "aws" else base + where
            for message in catalog.check(parameter, value):
                if (full, message) not in reported:
                    reported.add((full, message))
                    yield full, message
        # Values the toolkit writes from typed options must suit the version too.
        params = ecp.parameters(model, name, aws)
        for option, (parameter, _) in ecp.OPTION_PARAMETERS.items():
            if parameter in overrides:
                continue
            if parameter not in params:
                continue  # not set: the stack's default
            for message in catalog.check(parameter, params[parameter]):
                if parameter not in catalog.parameters:
                    message = f"Elastic CI Stack {version} has no {parameter} parameter"
                yield base + (option,), message
        if "EnableScheduledScaling" in params and "EnableScheduledScaling" in catalog.parameters:
            for key, parameter in ecp.SCHEDULE_PARAMETERS.items():
                if parameter not in overrides:
                    for message in catalog.check(parameter, params[parameter]):
                        yield base + ("scheduled_scaling", key), message


def images(model: QueuesFile) -> Iterator[Finding]:
    for name, aws in model.aws_queues().items():
        if aws.image in ("gpu", "cpu") and ecp.image_parameter(model, aws.image) is None:
            yield (
                ("queues", name, "aws", "image"),
                f"boots the toolkit's {aws.image} image: declare aws.images.{aws.image} (the SSM parameter make ami writes)",
            )
        if aws.image in ("gpu", "cpu") and model.queues[name].architecture != "x86_64":
            yield (
                ("queues", name, "aws", "image"),
                f"the toolkit's {aws.image} image is x86_64; the queue is {model.queues[name].architecture}",
            )


RULES = (sizes, stack_names, section, catalog, images)

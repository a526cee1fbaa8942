"""Elastic CI Stack parameter catalogs: what each pinned stack version accepts.

The catalogs are JSON files under `catalogs/`, derived from the stack
templates by `scripts/make_stack_catalog.py`. Overrides in queues.yaml are
checked here before anything is synthesized, so a typo or an out-of-range
value fails in seconds instead of in a CloudFormation rollback.
"""

from __future__ import annotations

import dataclasses
import difflib
import functools
import json
import pathlib
import re
from typing import Any, Union

CATALOG_DIR = pathlib.Path(__file__).resolve().parent / "catalogs"

# Parameters the toolkit derives from the queue model itself.
RESERVED = frozenset(
    {
        "BuildkiteQueue",
        "MinSize",
        "MaxSize",
        "InstanceTypes",
        "BuildkiteAgentToken",
        "BuildkiteAgentTokenParameterStorePath",
        "BuildkiteAgentTokenParameterStoreKMSKey",
        "VpcId",
        "Subnets",
        "SecurityGroupIds",
        "BootstrapScriptUrl",
        "BuildkiteAgentSigningKeySSMParameter",
        "BuildkiteAgentSigningKeyID",
        "BuildkiteAgentVerificationKeySSMParameter",
        "PipelineSigningVerificationFailureBehavior",
    }
)
# Why a reserved parameter is the toolkit's, where the general sentence would not say.
RESERVED_WHY = {
    "BootstrapScriptUrl": "set by the toolkit: every instance runs its boot script (containers reach no metadata service)",
    **{
        name: "set by the toolkit from buildkite.signing (the bootstrap queue signs, every queue verifies)"
        for name in (
            "BuildkiteAgentSigningKeySSMParameter",
            "BuildkiteAgentSigningKeyID",
            "BuildkiteAgentVerificationKeySSMParameter",
            "PipelineSigningVerificationFailureBehavior",
        )
    },
}
# Agent tags the toolkit sets: the queue (from the queue's name) and the HF-token hook's secret (aws.needs_hf_token).
RESERVED_TAGS = ("queue", "hf-token-secret")


def render(value: Union[str, int, bool]) -> str:
    """A parameter value as CloudFormation receives it: always a string."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _python_pattern(pattern: str) -> "re.Pattern[str]":
    # CloudFormation (Java regex) accepts `[\w-\.]`; Python's re wants the hyphen escaped.
    return re.compile(re.sub(r"(\\[wdsWDS])-", r"\1\\-", pattern))


@dataclasses.dataclass(frozen=True)
class Catalog:
    version: str
    parameters: dict[str, Any]
    outputs: tuple[Any, ...]
    amis: dict[str, Any] = dataclasses.field(
        default_factory=dict
    )  # region -> {linuxamd64: ami-...}, from a published template

    def check(self, name: str, value: Union[str, int, bool]) -> list[str]:
        """Problems with setting parameter `name` to `value`; empty when fine."""
        if name in RESERVED:
            return [RESERVED_WHY.get(name, "set by the toolkit from the queue model; use the queue's own keys instead")]
        if name == "BuildkiteAgentTags":
            tags = [tag.split("=", 1)[0].strip() for tag in render(value).split(",")]
            taken = [tag for tag in RESERVED_TAGS if tag in tags]
            if taken:
                return [
                    f"sets the agent tag {taken[0]!r}, which the toolkit sets (the queue from its name; hf-token-secret from aws.needs_hf_token)"
                ]
        spec = self.parameters.get(name)
        if spec is None:
            close = difflib.get_close_matches(name, list(self.parameters), n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            return [f"unknown Elastic CI Stack {self.version} parameter{hint}"]
        text = render(value)
        problems = []
        if spec.get("type") == "Number":
            if isinstance(value, bool) or not isinstance(value, int) and not re.fullmatch(r"-?[0-9]+", text):
                return [f"must be a number (got {text!r})"]
            number = int(text)
            if "min_value" in spec and number < int(spec["min_value"]):
                problems.append(f"must be >= {spec['min_value']} (got {number})")
            if "max_value" in spec and number > int(spec["max_value"]):
                problems.append(f"must be <= {spec['max_value']} (got {number})")
        allowed = spec.get("allowed_values")
        if allowed is not None and text not in allowed:
            problems.append(f"must be one of {', '.join(allowed)} (got {text!r})")
        pattern = spec.get("allowed_pattern")
        if pattern and not _python_pattern(pattern).fullmatch(text):
            problems.append(f"does not match the stack's AllowedPattern {pattern} (got {text!r})")
        return problems


def versions() -> list[str]:
    return sorted(
        p.name[len("elastic-ci-stack-") : -len(".json")] for p in CATALOG_DIR.glob("elastic-ci-stack-v*.json")
    )


@functools.lru_cache(maxsize=None)
def load(version: str) -> Catalog | None:
    path = CATALOG_DIR / f"elastic-ci-stack-{version}.json"
    if not path.exists():
        return None
    data = json.loads(path.read_text(encoding="utf-8"))
    return Catalog(data["version"], data["parameters"], tuple(data["outputs"]), data.get("amis", {}))

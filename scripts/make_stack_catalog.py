"""Derive an Elastic CI Stack parameter catalog from the stack's template.

    python -m scripts.make_stack_catalog ../shared/fixtures/elastic-ci-stack/aws-stack-v6.71.1.yml [...]

writes constructs_lib/queues/catalogs/elastic-ci-stack-v6.71.1.json: every parameter
with its type, default and constraints, the stack's outputs, and, from a
published template, the AMI of each region (the source of `make ami`). The loader
checks queues.yaml's parameter overrides against it. Re-run to add a version;
the templates themselves stay out of the repository.
"""

from __future__ import annotations

import json
import pathlib
import re
import sys
from typing import Any

import yaml

CATALOG_DIR = pathlib.Path(__file__).resolve().parent.parent / "constructs_lib" / "queues" / "catalogs"
_KEPT = {
    "Type": "type",
    "Default": "default",
    "AllowedValues": "allowed_values",
    "AllowedPattern": "allowed_pattern",
    "MinValue": "min_value",
    "MaxValue": "max_value",
    "NoEcho": "no_echo",
}


class TemplateLoader(yaml.SafeLoader):
    """Reads CloudFormation short-form intrinsics (!Ref, !If, ...) as opaque values."""


TemplateLoader.add_multi_constructor("!", lambda loader, suffix, node: None)


def _as_text(value: object) -> object:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    return value


def catalog(template_text: str, version: str) -> dict[str, Any]:
    template = yaml.load(template_text, Loader=TemplateLoader)
    parameters = {}
    for name, spec in sorted(template["Parameters"].items()):
        entry = {}
        for key, out in _KEPT.items():
            if key in spec:
                value = spec[key]
                if key == "AllowedValues":
                    value = [_as_text(v) for v in value]
                elif key in ("Default",):
                    value = _as_text(value)
                entry[out] = value
        parameters[name] = entry
    result: dict[str, Any] = {
        "version": version,
        "parameters": parameters,
        "outputs": sorted(template.get("Outputs", {})),
    }
    amis = region_amis(template)
    if amis:  # the published templates map each region to its AMIs; source templates do not
        result["amis"] = amis
    return result


_AMI = re.compile(r"^ami-[0-9a-f]{8,17}$")


def region_amis(template: dict[str, Any]) -> dict[str, dict[str, str]]:
    """Mappings.AWSRegion2AMI: region -> {linuxamd64: ami-..., linuxarm64: ...}, the filled entries only."""
    mapping = (template.get("Mappings") or {}).get("AWSRegion2AMI") or {}
    out = {}
    for region, images in sorted(mapping.items()):
        if isinstance(images, dict):
            found = {arch: ami for arch, ami in sorted(images.items()) if isinstance(ami, str) and _AMI.match(ami)}
            if found:
                out[region] = found
    return out


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    for path in argv:
        match = re.search(r"(v[0-9]+\.[0-9]+\.[0-9]+)", pathlib.Path(path).name)
        if not match:
            print(f"{path}: cannot tell the stack version from the file name", file=sys.stderr)
            return 2
        version = match.group(1)
        result = catalog(pathlib.Path(path).read_text(encoding="utf-8"), version)
        out = CATALOG_DIR / f"elastic-ci-stack-{version}.json"
        out.write_text(json.dumps(result, indent=1, sort_keys=True) + "\n", encoding="utf-8")
        print(f"{out.relative_to(CATALOG_DIR.parent.parent)}: {len(result['parameters'])} parameters")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

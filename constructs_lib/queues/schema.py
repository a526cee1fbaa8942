"""The JSON Schema of queues.yaml, generated from the queue model.

    python -m constructs_lib.queues.schema          # rewrites queues.schema.json

queues.yaml names it on its first line, so editors with a YAML language
server complete and check the file. A test keeps the committed copy current.
"""

from __future__ import annotations

import json
import pathlib
import sys

from constructs_lib.queues.model import QueuesFile

SCHEMA_FILE = pathlib.Path(__file__).resolve().parents[2] / "queues.schema.json"


def render() -> str:
    schema = QueuesFile.model_json_schema(mode="validation")
    schema = {"$schema": "https://json-schema.org/draft/2020-12/schema", **schema}
    return json.dumps(schema, indent=2, sort_keys=True) + "\n"


def main() -> int:
    SCHEMA_FILE.write_text(render(), encoding="utf-8")
    print(f"wrote {SCHEMA_FILE.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

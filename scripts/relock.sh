#!/usr/bin/env bash
# Re-lock the Pipfile and strip the package-index addresses from the lock:
# no index host name may appear in the repository. `pipenv sync` then uses
# its default index.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m pipenv lock
python3 - <<'PY'
import json
with open("Pipfile.lock", encoding="utf-8") as fh:
    lock = json.load(fh)
lock["_meta"]["sources"] = []
for section in ("default", "develop"):
    for entry in lock.get(section, {}).values():
        entry.pop("index", None)
with open("Pipfile.lock", "w", encoding="utf-8") as fh:
    json.dump(lock, fh, indent=4, sort_keys=True)
    fh.write("\n")
PY
if grep -nE 'https?://' Pipfile Pipfile.lock; then
  echo "relock: an address is left in the Pipfile or its lock" >&2
  exit 1
fi

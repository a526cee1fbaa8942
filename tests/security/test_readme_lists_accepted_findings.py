"""The README's table of accepted findings is the accepted-findings file, entry for entry."""

from __future__ import annotations

import re

import yaml

from tests.conftest import REPO


def test_readme_lists_every_accepted_finding_and_no_other():
    accepted = yaml.safe_load((REPO / "security" / "accepted-findings.yaml").read_text(encoding="utf-8"))["accepted"]
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| (CKV\w+) \| `([^`]+)` \| (.+?) \| (\S+) \|$", readme, flags=re.M)
    assert rows == [(e["check"], e["resource"], e["justification"], str(e["expires"])) for e in accepted]

"""Every row of the README's threat table names a control and tests that exist."""

from __future__ import annotations

import re

from tests.conftest import REPO

_TEST = re.compile(r"`(test_\w+\.py)(?:::(\w+))?`|`::(\w+)`")


def _rows() -> list[str]:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    table = text.split("### Trust boundary", 1)[1].split("\n\n| path a fork's PR could take", 1)[1].split("\n\n", 1)[0]
    return [line for line in table.splitlines()[2:] if line.startswith("|")]


def _defined(file: str, name: str | None) -> bool:
    matches = list((REPO / "tests").rglob(file))
    if not matches:
        return False
    return name is None or any(
        re.search(rf"^def {name}\(", m.read_text(encoding="utf-8"), re.MULTILINE) for m in matches
    )


def test_every_row_names_existing_tests():
    rows = _rows()
    assert len(rows) >= 15
    for row in rows:
        cells = [c.strip() for c in row.strip("|").split("|")]
        assert len(cells) == 3 and all(cells), row
        named = _TEST.findall(cells[2])
        assert named, row
        file = None
        for given_file, name, continued in named:
            file = given_file or file
            assert file and _defined(file, name or continued or None), (row, file, name or continued)

"""The reference data shipped in tests/data/ is what was collected: every file listed in its folder's
SHA256SUMS (taken from the originals when they were copied in), none missing, none unlisted."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

DATA = Path(__file__).resolve().parents[1] / "data"
CHECKED = ["gap", "kent"]
NOT_DATA = {"README.md", "SHA256SUMS"}


def _sums(folder: Path) -> dict[str, str]:
    table = {}
    for line in (folder / "SHA256SUMS").read_text(encoding="utf-8").splitlines():
        digest, name = line.split(maxsplit=1)
        table[name.lstrip("*")] = digest
    return table


@pytest.mark.parametrize("name", CHECKED)
def test_shipped_reference_data_matches_its_checksums(name: str) -> None:
    folder = DATA / name
    sums = _sums(folder)
    files = {
        path.relative_to(folder).as_posix()
        for path in folder.rglob("*")
        if path.is_file() and path.name not in NOT_DATA
    }
    assert files == set(sums), "files and SHA256SUMS disagree"
    changed = [
        f for f in sorted(files) if hashlib.sha256((folder / f).read_bytes()).hexdigest() != sums[f]
    ]
    assert changed == []
    assert "PROVENANCE.txt" in files
    assert "Licence" in (folder / "README.md").read_text(encoding="utf-8")

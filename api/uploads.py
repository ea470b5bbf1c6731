"""Scenario uploads: one zip of the folder, or the CSV and TOML files themselves, read safely."""

from __future__ import annotations

import csv
import io
import tempfile
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from pydantic import ValidationError

from allocator.io import read_scenario_with_notes
from allocator.model import Problem, Scenario, ScenarioError

SUFFIXES = (".csv", ".toml")
MAX_FILES = 64


@dataclass(frozen=True)
class Upload:
    """One uploaded file: its name as sent and its bytes."""

    name: str
    data: bytes


class BadUpload(ValueError):
    """An upload that is not a scenario folder at all (not a zip, nothing usable, too big unzipped)."""


def _safe_name(name: str) -> str:
    """The bare file name (no folders, so nothing can be written outside the temporary folder)."""
    return PurePosixPath(name.replace("\\", "/")).name


def unpack(uploads: Sequence[Upload], max_unzipped: int) -> tuple[dict[str, bytes], list[str]]:
    """The scenario's files by name from a zip or from loose files; with notes on what was skipped."""
    notes: list[str] = []
    files: dict[str, bytes] = {}
    for upload in uploads:
        name = _safe_name(upload.name or "")
        if name.lower().endswith(".zip") or upload.data[:4] == b"PK\x03\x04":
            _unzip(upload.data, max_unzipped - sum(map(len, files.values())), files, notes)
        elif name.endswith(SUFFIXES):
            if name in files:
                raise BadUpload(f"{name} was sent twice")
            files[name] = upload.data
        else:
            notes.append(
                f"{name or 'a file without a name'} is not a CSV or TOML file and was ignored"
            )
    if not files:
        raise BadUpload("no CSV or TOML files: send the scenario folder as a zip, or its files")
    if len(files) > MAX_FILES:
        raise BadUpload(f"{len(files)} files: a scenario has at most {MAX_FILES}")
    return files, notes


def _unzip(data: bytes, budget: int, files: dict[str, bytes], notes: list[str]) -> None:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise BadUpload("the upload is not a readable zip file") from None
    with archive:
        members = [m for m in archive.infolist() if not m.is_dir()]
        if len(members) > MAX_FILES * 4:
            raise BadUpload(
                f"the zip holds {len(members)} files: a scenario has at most {MAX_FILES}"
            )
        if sum(m.file_size for m in members) > budget:
            raise BadUpload("the zip's files are larger unzipped than the service accepts")
        for member in members:
            name = _safe_name(member.filename)
            if name.startswith(".") or "__MACOSX" in member.filename:
                continue
            if not name.endswith(SUFFIXES):
                notes.append(f"{name} is not a CSV or TOML file and was ignored")
                continue
            if name in files:
                raise BadUpload(f"the zip holds {name} twice (in different folders)")
            try:
                content = archive.read(member)
            except (zipfile.BadZipFile, OSError, RuntimeError, ValueError):
                raise BadUpload(f"{name} in the zip cannot be read") from None
            if len(content) > budget:
                raise BadUpload("the zip's files are larger unzipped than the service accepts")
            budget -= len(content)
            files[name] = content


def read_upload(uploads: Sequence[Upload], max_unzipped: int) -> tuple[Scenario, list[str]]:
    """Validate uploaded files as a scenario folder; raises ScenarioError (every problem) or BadUpload."""
    files, notes = unpack(uploads, max_unzipped)
    with tempfile.TemporaryDirectory(prefix="lift-upload-") as folder:
        for name, content in files.items():
            (Path(folder) / name).write_bytes(content)
        try:
            scenario, more = read_scenario_with_notes(Path(folder))
        except UnicodeDecodeError as error:
            raise ScenarioError(
                [Problem(file="upload", expected=f"UTF-8 text files ({error.reason})")]
            ) from None
        except csv.Error as error:
            raise ScenarioError(
                [Problem(file="upload", expected=f"readable CSV ({error})")]
            ) from None
        except ValidationError as error:
            raise ScenarioError(
                [
                    Problem(
                        file="scenario",
                        column=".".join(str(p) for p in e["loc"]) or None,
                        expected=str(e["msg"]),
                    )
                    for e in error.errors()
                ]
            ) from None
    return scenario, notes + more

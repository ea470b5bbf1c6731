"""Scenario uploads: one zip of the folder, or the CSV and TOML files themselves, read safely.

A zip is never trusted: its members are inflated here in small chunks with a cap on the bytes actually
produced (per file and in total), whatever sizes its headers claim; names that climb out of the folder,
symbolic links, nested archives, encrypted or damaged members are refused, each naming the member.
Every problem becomes a `BadUpload` (400, or 413 when too large) or a `ScenarioError` (422) that
names the file; nothing uploaded is logged.
"""

from __future__ import annotations

import bz2
import csv
import io
import logging
import lzma
import struct
import tempfile
import tomllib
import unicodedata
import zipfile
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from allocator.io import read_scenario_with_notes
from allocator.model import Problem, Scenario, ScenarioError
from api.errors import raised_at

log = logging.getLogger("lift.uploads")

SUFFIXES = (".csv", ".toml")
MAX_FILES = 64
"""Scenario files in one upload (the format has 15)."""
MAX_NAME_BYTES = 255
"""Longest file or folder name (UTF-8 bytes), as on common file systems."""
MAX_DEPTH = 8
"""Deepest folder nesting inside a zip."""
CHUNK = 64 * 1024
"""Bytes fed to, and taken from, a decompressor at a time."""
ARCHIVES = (".zip", ".7z", ".rar", ".tar", ".gz", ".tgz", ".bz2", ".xz", ".jar")
_LOCAL_HEADER = struct.Struct("<4s2B4HL2L2H")
_SYMLINK = 0o120000


@dataclass(frozen=True)
class Limits:
    """How much an upload may unpack to."""

    total_bytes: int
    """All files together, unzipped."""
    file_bytes: int
    """One file, unzipped."""
    zip_members: int
    """Entries (files and folders) in one zip."""


@dataclass(frozen=True)
class Upload:
    """One uploaded file: its name as sent and its bytes."""

    name: str
    data: bytes


class BadUpload(ValueError):
    """An upload that is not a scenario folder at all (not a zip, unsafe, damaged); a 400."""

    status = 400


class TooLarge(BadUpload):
    """An upload that unpacks to more than the service accepts; a 413."""

    status = 413


def shown(name: str, most: int = 80) -> str:
    """A file name fit for a message: quoted, control characters escaped, long names shortened."""
    text = "".join(
        c if c.isprintable() else f"\\x{ord(c):02x}" if ord(c) < 256 else f"\\u{ord(c):04x}"
        for c in name
    )
    if len(text) > most:
        text = text[: most - 1] + "…"
    return f"'{text}'"


def _unsafe_character(name: str) -> str | None:
    for c in name:
        if unicodedata.category(c) in ("Cc", "Cf", "Cs", "Co", "Zl", "Zp"):
            return f"U+{ord(c):04X}"
    return None


def _check_part(part: str, full: str, where: str) -> None:
    """Refuse a file or folder name with a control character or longer than file systems allow."""
    bad = _unsafe_character(part)
    if bad is not None:
        raise BadUpload(
            f"{where}{shown(full)}: a file name must not hold a control character ({bad})"
        )
    if len(part.encode("utf-8", "surrogatepass")) > MAX_NAME_BYTES:
        raise BadUpload(
            f"{where}{shown(full)}: a file name has at most {MAX_NAME_BYTES} bytes "
            f"(this one has {len(part.encode('utf-8', 'surrogatepass'))})"
        )


def _loose_name(name: str) -> str:
    """The name of a file sent on its own: a bare name, no folder."""
    _check_part(name, name, "")
    if "/" in name or "\\" in name:
        raise BadUpload(f"{shown(name)}: a file name must not hold a folder ('/' or '\\')")
    return name


def _member_name(name: str) -> str:
    """The bare name of a zip member whose path stays inside the folder."""
    where = "the zip entry "
    path = name.replace("\\", "/")
    if path.startswith("/") or (len(path) > 1 and path[1] == ":"):
        raise BadUpload(f"{where}{shown(name)} has an absolute path; zip the folder itself")
    parts = [p for p in path.split("/") if p not in ("", ".")]
    for part in parts:
        _check_part(part, name, where)
        if part == "..":
            raise BadUpload(f"{where}{shown(name)} points outside its folder ('..')")
    if len(parts) > MAX_DEPTH + 1:
        raise BadUpload(f"{where}{shown(name)} is nested more than {MAX_DEPTH} folders deep")
    return parts[-1] if parts else ""


def unpack(uploads: Sequence[Upload], limits: Limits) -> tuple[dict[str, bytes], list[str]]:
    """The scenario's files by name from a zip or from loose files; with notes on what was skipped."""
    notes: list[str] = []
    files: dict[str, bytes] = {}
    for upload in uploads:
        sent = upload.name or ""
        if sent.lower().endswith(".zip") or upload.data[:4] == b"PK\x03\x04":
            _unzip(sent, upload.data, limits, files, notes)
            continue
        name = _loose_name(sent)
        if name.endswith(SUFFIXES):
            if name in files:
                raise BadUpload(f"{shown(name)} was sent twice")
            if len(upload.data) > limits.file_bytes:
                raise TooLarge(
                    f"{shown(name)} is larger than the {_mib(limits.file_bytes)} a file may be"
                )
            if sum(map(len, files.values())) + len(upload.data) > limits.total_bytes:
                raise TooLarge(
                    f"the files are larger than the {_mib(limits.total_bytes)} the service accepts "
                    f"(at {shown(name)})"
                )
            files[name] = upload.data
        else:
            what = shown(name) if name else "a file without a name"
            notes.append(f"{what} is not a CSV or TOML file and was ignored")
    if not files:
        raise BadUpload("no CSV or TOML files: send the scenario folder as a zip, or its files")
    if len(files) > MAX_FILES:
        raise BadUpload(f"{len(files)} files: a scenario has at most {MAX_FILES}")
    return files, notes


def _mib(size: int) -> str:
    return f"{size / (1024 * 1024):g} MiB"


def _unzip(
    sent: str, data: bytes, limits: Limits, files: dict[str, bytes], notes: list[str]
) -> None:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError, struct.error):
        raise BadUpload(f"{shown(sent or 'the upload')} is not a readable zip file") from None
    if len(members) > limits.zip_members:
        raise BadUpload(
            f"{shown(sent)} holds {len(members)} entries: the service reads at most "
            f"{limits.zip_members} (a scenario has at most {MAX_FILES} files)"
        )
    chosen: list[tuple[str, zipfile.ZipInfo]] = []
    for member in members:
        name = _member_name(member.filename)
        if (member.external_attr >> 16) & 0o170000 == _SYMLINK:
            raise BadUpload(
                f"the zip entry {shown(member.filename)} is a symbolic link; send the files"
            )
        if member.is_dir() or not name:
            continue
        if name.lower().endswith(ARCHIVES):
            raise BadUpload(
                f"the zip entry {shown(member.filename)} is an archive inside the zip; "
                "send one zip of the scenario folder"
            )
        if name.startswith(".") or "__MACOSX" in member.filename:
            continue
        if not name.endswith(SUFFIXES):
            notes.append(f"{shown(name)} is not a CSV or TOML file and was ignored")
            continue
        if name in files or any(name == seen for seen, _ in chosen):
            raise BadUpload(f"the zip holds {shown(name)} twice (in different folders)")
        chosen.append((name, member))
    for name, member in chosen:
        used = sum(map(len, files.values()))
        content = _inflate(data, member, limits, used)
        if content[:4] == b"PK\x03\x04":
            raise BadUpload(
                f"{shown(member.filename)} in the zip is itself a zip; "
                "send one zip of the scenario folder"
            )
        files[name] = content


def _raw(data: bytes, member: zipfile.ZipInfo) -> bytes:
    """The compressed bytes of a member, found through its local header."""
    start = member.header_offset
    header = data[start : start + _LOCAL_HEADER.size]
    if len(header) < _LOCAL_HEADER.size:
        raise BadUpload(f"{shown(member.filename)} in the zip is damaged (its header is cut off)")
    fields = _LOCAL_HEADER.unpack(header)
    if fields[0] != b"PK\x03\x04":
        raise BadUpload(
            f"{shown(member.filename)} in the zip is damaged (no header where it should be)"
        )
    begin = start + _LOCAL_HEADER.size + fields[10] + fields[11]
    end = begin + member.compress_size
    if end > len(data):
        raise BadUpload(f"{shown(member.filename)} in the zip is damaged (it is cut off)")
    return data[begin:end]


def _chunks(method: int, raw: bytes) -> Iterator[bytes]:
    """Inflate `raw`, yielding at most CHUNK bytes at a time (never more, whatever the ratio)."""
    if method == zipfile.ZIP_STORED:
        for at in range(0, len(raw), CHUNK):
            yield raw[at : at + CHUNK]
        return
    if method == zipfile.ZIP_DEFLATED:
        inflater = zlib.decompressobj(-zlib.MAX_WBITS)
        at = 0
        while not inflater.eof:
            tail = inflater.unconsumed_tail
            if tail:
                feed = tail
            else:
                feed, at = raw[at : at + CHUNK], at + CHUNK
            out = inflater.decompress(feed, CHUNK)
            if out:
                yield out
            elif not feed or inflater.unconsumed_tail == feed:
                return  # input used up (or no progress): the checksum tells whether it was whole
        return
    decompressor: bz2.BZ2Decompressor | lzma.LZMADecompressor
    at = 0
    if method == zipfile.ZIP_BZIP2:
        decompressor = bz2.BZ2Decompressor()
    elif method == zipfile.ZIP_LZMA:
        if len(raw) < 4:
            raise ValueError("cut off")
        (size,) = struct.unpack("<H", raw[2:4])
        properties = raw[4 : 4 + size]
        decompressor = lzma.LZMADecompressor(
            lzma.FORMAT_RAW,
            filters=[lzma._decode_filter_properties(lzma.FILTER_LZMA1, properties)],  # type: ignore[attr-defined]
        )
        at = 4 + size
    else:
        raise NotImplementedError(f"compression method {method}")
    while not decompressor.eof:
        if decompressor.needs_input:
            if at >= len(raw):
                return
            feed, at = raw[at : at + CHUNK], at + CHUNK
        else:
            feed = b""
        out = decompressor.decompress(feed, CHUNK)
        if out:
            yield out
        elif not feed:
            return  # nothing more without input


def _inflate(data: bytes, member: zipfile.ZipInfo, limits: Limits, used: int) -> bytes:
    """A member's bytes, refused as soon as it produces more than the limits allow."""
    label = shown(member.filename)
    if member.flag_bits & 0x1:
        raise BadUpload(f"{label} in the zip is encrypted; send it without a password")
    raw = _raw(data, member)
    room = min(limits.file_bytes, limits.total_bytes - used)
    parts: list[bytes] = []
    size = 0
    crc = 0
    try:
        for chunk in _chunks(member.compress_type, raw):
            size += len(chunk)
            if size > room:
                if room == limits.file_bytes:
                    raise TooLarge(
                        f"{label} in the zip is larger unzipped than the "
                        f"{_mib(limits.file_bytes)} a file may be"
                    )
                raise TooLarge(
                    f"the zip's files are larger unzipped than the {_mib(limits.total_bytes)} "
                    f"the service accepts (at {label})"
                )
            crc = zlib.crc32(chunk, crc)
            parts.append(chunk)
    except BadUpload:
        raise
    except NotImplementedError:
        raise BadUpload(
            f"{label} in the zip uses a compression the service does not read "
            f"(method {member.compress_type}); use the usual zip compression (deflate)"
        ) from None
    except (zlib.error, lzma.LZMAError, OSError, EOFError, ValueError, struct.error, MemoryError):
        raise BadUpload(f"{label} in the zip is damaged and cannot be unzipped") from None
    if crc != member.CRC or size != member.file_size:
        raise BadUpload(f"{label} in the zip is damaged (its size or checksum does not match)")
    return b"".join(parts)


def _precheck(name: str, content: bytes) -> list[Problem]:
    """Problems that would stop the reader itself, found file by file so each names its file."""
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        return [Problem(file=name, expected=f"UTF-8 text (byte {error.start + 1} is not)")]
    if name.endswith(".toml"):
        try:
            tomllib.loads(text)
        except tomllib.TOMLDecodeError as error:
            return [Problem(file=name, expected=f"valid TOML ({error})")]
        except RecursionError:
            return [Problem(file=name, expected="valid TOML (it is nested too deeply)")]
        return []
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        for _ in reader:
            pass
    except csv.Error as error:
        return [Problem(file=name, row=reader.line_num, expected=f"readable CSV ({error})")]
    return []


def read_upload(uploads: Sequence[Upload], limits: Limits) -> tuple[Scenario, list[str]]:
    """Validate uploaded files as a scenario folder; raises ScenarioError (every problem) or BadUpload.

    Synchronous and CPU-bound: call it off the event loop.
    """
    files, notes = unpack(uploads, limits)
    early = [p for name, content in sorted(files.items()) for p in _precheck(name, content)]
    if early:
        raise ScenarioError(early)
    with tempfile.TemporaryDirectory(prefix="lift-upload-") as folder:
        for name, content in files.items():
            (Path(folder) / name).write_bytes(content)
        try:
            scenario, more = read_scenario_with_notes(Path(folder))
        except ScenarioError:
            raise
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
        except Exception as error:  # the reader's own bug must still be a 4xx naming the files
            log.warning("an upload could not be read: %s", raised_at(error))
            raise ScenarioError(
                [
                    Problem(
                        file=", ".join(sorted(files)),
                        expected=f"files the reader can read (it stopped: {type(error).__name__})",
                    )
                ]
            ) from None
    return scenario, notes + more


def check_zip(sent: str, data: bytes, limits: Limits, what: str = "zip file") -> int:
    """Refuse a zip (an XLSX workbook is one) that is unreadable, encrypted, damaged or inflates past
    `limits`, inflating every member with the same caps as a scenario upload; returns the bytes it
    unzips to. Nothing is kept."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError, struct.error):
        raise BadUpload(f"{shown(sent or 'the upload')} is not a readable {what}") from None
    if len(members) > limits.zip_members:
        raise BadUpload(
            f"{shown(sent)} holds {len(members)} entries: the service reads at most "
            f"{limits.zip_members}"
        )
    used = 0
    for member in members:
        if member.is_dir():
            continue
        used += len(_inflate(data, member, limits, used))
    return used

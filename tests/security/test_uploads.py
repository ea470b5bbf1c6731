"""Hostile uploads (#11): zip bombs, unsafe and damaged zips, file names and contents that used to
give 500s, uploads parsed on the event loop, and uploaded values in the logs.

Every hostile upload must be a 4xx (400, 413 or 422) whose body names the file, from both
`POST /api/scenarios` and `POST /api/scenarios/validate`; a bomb must be refused while memory stays
small, whatever its headers claim.
"""

from __future__ import annotations

import asyncio
import io
import logging
import struct
import threading
import time
import tracemalloc
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

import api.uploads
from allocator.io import write_scenario
from allocator.model import Scenario
from api.admin import add_user
from api.main import create_app
from api.security import Role
from api.settings import Settings

MIB = 1024 * 1024
FILE_CAP = 4 * MIB
TOTAL_CAP = 12 * MIB
ROUTES = ("/api/scenarios", "/api/scenarios/validate")


# The service -----------------------------------------------------------------------------------


@dataclass
class Svc:
    app: FastAPI
    client: TestClient
    token: str

    def post(self, route: str, files: list[tuple[str, bytes]]) -> httpx.Response:
        parts = [("files", (name, data, "application/octet-stream")) for name, data in files]
        return self.client.post(route, files=parts, headers=auth(self.token))


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def service_in(folder: Path) -> Iterator[Svc]:
    settings = Settings(
        database_url=f"sqlite:///{folder / 'lift.db'}",
        max_file_bytes=FILE_CAP,
        max_unzipped_bytes=TOTAL_CAP,
        max_zip_entries=40,
        max_upload_bytes=8 * MIB,
    )
    app = create_app(settings)
    token = add_user(app.state.sessions, Role.COUNTY_OFFICER, None)[1]
    with TestClient(app) as client:
        yield Svc(app, client, token)


@pytest.fixture(scope="module")
def svc(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Svc]:
    """One service for the module: refused uploads store nothing."""
    yield from service_in(tmp_path_factory.mktemp("uploads"))


@pytest.fixture(scope="module")
def tiny_files(
    tiny_scenario: Scenario, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, bytes]:
    """The tiny county's files by name."""
    folder = tmp_path_factory.mktemp("tiny-files")
    write_scenario(tiny_scenario, folder)
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def zip_of(
    files: dict[str, bytes], method: int = zipfile.ZIP_DEFLATED, inside: str = "scenario/"
) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", method) as archive:
        for name, data in files.items():
            archive.writestr(inside + name, data)
    return buffer.getvalue()


def strings(value: Any) -> str:
    """Every string in a JSON body, one per line (so escaped names compare as the service wrote them)."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        return "\n".join(strings(v) for v in value.values())
    if isinstance(value, list):
        return "\n".join(strings(v) for v in value)
    return str(value)


# Zips built by hand ----------------------------------------------------------------------------

LOCAL = struct.Struct("<4s2B4HL2L2H")
CENTRAL = struct.Struct("<4s4B4HL2L5H2L")
END = struct.Struct("<4s4H2LH")


@dataclass(frozen=True)
class Entry:
    name: str
    method: int
    raw: bytes
    crc: int
    size: int
    """The uncompressed size the headers claim."""
    flags: int = 0
    external: int = 0


def hand_zip(entries: list[Entry]) -> bytes:
    """A zip written field by field, so its headers say whatever the test wants."""
    body, directory = io.BytesIO(), io.BytesIO()
    for e in entries:
        name = e.name.encode("utf-8")
        offset = body.tell()
        body.write(
            LOCAL.pack(
                b"PK\x03\x04",
                20,
                0,
                e.flags | 0x800,
                e.method,
                0,
                0x21,
                e.crc,
                len(e.raw),
                e.size,
                len(name),
                0,
            )
        )
        body.write(name + e.raw)
        directory.write(
            CENTRAL.pack(
                b"PK\x01\x02",
                20,
                3,
                20,
                0,
                e.flags | 0x800,
                e.method,
                0,
                0x21,
                e.crc,
                len(e.raw),
                e.size,
                len(name),
                0,
                0,
                0,
                0,
                e.external,
                offset,
            )
        )
        directory.write(name)
    start = body.tell()
    cd = directory.getvalue()
    body.write(cd)
    body.write(END.pack(b"PK\x05\x06", 0, 0, len(entries), len(entries), len(cd), start, 0))
    return body.getvalue()


def deflate_bomb(gib: int = 1) -> tuple[bytes, int]:
    """A raw deflate stream of `gib` GiB of one repeated CSV line (about 1 MB), and its CRC.

    After a full flush a deflate compressor starts afresh, so one compressed MiB repeats as is."""
    line = b"100001,Oak Primary,Northdown,primary,G1\n"
    block = line * (MIB // len(line))
    compressor = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    piece = compressor.compress(block) + compressor.flush(zlib.Z_FULL_FLUSH)
    tail = compressor.flush()
    copies = gib * 1024
    crc = 0
    for _ in range(copies):
        crc = zlib.crc32(block, crc)
    return piece * copies + tail, crc


def understate(data: bytes, member: str, claimed: int) -> bytes:
    """`data` with the uncompressed size of `member` patched to `claimed` in both of its headers."""
    out = bytearray(data)
    info = zipfile.ZipFile(io.BytesIO(data)).getinfo(member)
    struct.pack_into("<L", out, info.header_offset + 22, claimed)
    at = out.find(b"PK\x01\x02")
    while at >= 0:
        fields = CENTRAL.unpack_from(out, at)
        name = bytes(out[at + CENTRAL.size : at + CENTRAL.size + fields[12]]).decode()
        if name == member:
            struct.pack_into("<L", out, at + 24, claimed)
        at = out.find(b"PK\x01\x02", at + CENTRAL.size)
    return bytes(out)


def corrupt(data: bytes, member: str) -> bytes:
    """`data` with the middle of `member`'s compressed bytes overwritten."""
    out = bytearray(data)
    info = zipfile.ZipFile(io.BytesIO(data)).getinfo(member)
    fields = LOCAL.unpack_from(out, info.header_offset)
    start = info.header_offset + LOCAL.size + fields[10] + fields[11]
    middle = start + info.compress_size // 3
    out[middle : middle + 24] = bytes(range(7, 7 * 25, 7))
    return bytes(out)


@pytest.fixture(scope="module")
def bombs(tiny_files: dict[str, bytes]) -> dict[str, bytes]:
    """Scenario zips whose schools.csv claims 1,000 bytes but inflates far beyond the caps."""
    raw, crc = deflate_bomb()
    hand = [
        Entry(
            f"scenario/{name}",
            zipfile.ZIP_DEFLATED,
            zlib.compress(data)[2:-4],
            zlib.crc32(data),
            len(data),
        )
        for name, data in tiny_files.items()
        if name != "schools.csv"
    ]
    out = {
        "deflate": hand_zip(
            [*hand, Entry("scenario/schools.csv", zipfile.ZIP_DEFLATED, raw, crc, 1000)]
        )
    }
    for label, method in (("bzip2", zipfile.ZIP_BZIP2), ("lzma", zipfile.ZIP_LZMA)):
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", method) as archive:
            for name, data in tiny_files.items():
                if name == "schools.csv":
                    with archive.open(f"scenario/{name}", "w") as member:
                        for _ in range(32):
                            member.write(bytes(MIB))
                else:
                    archive.writestr(f"scenario/{name}", data)
        out[label] = understate(buffer.getvalue(), "scenario/schools.csv", 1000)
    return out


# Zip bombs ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["deflate", "bzip2", "lzma"])
def test_a_zip_bomb_with_understated_sizes_is_413_naming_the_member_in_little_memory(
    svc: Svc, bombs: dict[str, bytes], method: str
) -> None:
    data = bombs[method]
    assert len(data) < 4 * MIB
    assert zipfile.ZipFile(io.BytesIO(data)).getinfo("scenario/schools.csv").file_size == 1000
    for route in ROUTES:
        tracemalloc.start()
        try:
            response = svc.post(route, [("county.zip", data)])
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        assert response.status_code == 413, response.text
        assert "scenario/schools.csv" in response.json()["detail"]
        assert peak < 24 * MIB, f"{method} bomb peaked at {peak / MIB:.0f} MiB"


def test_files_over_the_total_cap_together_are_413(svc: Svc, tiny_files: dict[str, bytes]) -> None:
    pad = {f"pad{i}.csv": b"a,b\n" + b"1,2\n" * (FILE_CAP // 4 - 2) for i in range(4)}
    response = svc.post(ROUTES[0], [("county.zip", zip_of({**tiny_files, **pad}))])
    assert response.status_code == 413
    assert "12 MiB" in response.json()["detail"]


# Unsafe zips -------------------------------------------------------------------------------------


def _unsafe(tiny: dict[str, bytes]) -> dict[str, tuple[bytes, str]]:
    plain = zip_of(tiny)
    many = zip_of({**tiny, **{f"extra{i}.txt": b"x" for i in range(41)}})
    schools = tiny["schools.csv"]
    entry = Entry(
        "scenario/schools.csv", zipfile.ZIP_STORED, schools, zlib.crc32(schools), len(schools)
    )
    others = [
        Entry(f"scenario/{n}", zipfile.ZIP_STORED, d, zlib.crc32(d), len(d))
        for n, d in tiny.items()
        if n != "schools.csv"
    ]

    def with_entry(**change: Any) -> bytes:
        fields = {**entry.__dict__, **change}
        return hand_zip([*others, Entry(**fields)])

    return {
        "parent folder": (with_entry(name="scenario/../../schools.csv"), "../../schools.csv"),
        "absolute path": (with_entry(name="/etc/schools.csv"), "/etc/schools.csv"),
        "windows path": (with_entry(name="C:\\lift\\schools.csv"), "C:\\lift\\schools.csv"),
        "symbolic link": (with_entry(external=0o120777 << 16), "scenario/schools.csv"),
        "nested zip": (zip_of({**tiny, "inner.zip": plain}), "scenario/inner.zip"),
        "zip in a csv": (zip_of({**tiny, "schools.csv": plain}), "scenario/schools.csv"),
        "deep folders": (zip_of(tiny, inside="a/" * 12), "a/a/a/"),
        "too many entries": (many, "county.zip"),
        "encrypted": (with_entry(flags=0x1), "scenario/schools.csv"),
        "unknown compression": (with_entry(method=97), "scenario/schools.csv"),
        "wrong checksum": (with_entry(crc=entry.crc ^ 0xFFFF), "scenario/schools.csv"),
        "size beyond its data": (with_entry(size=len(schools) + 7), "scenario/schools.csv"),
        "cut off": (plain[: len(plain) // 2], "county.zip"),
        "not a zip": (b"PK\x03\x04 no zip at all", "county.zip"),
    }


UNSAFE = [
    "parent folder", "absolute path", "windows path", "symbolic link", "nested zip", "zip in a csv",
    "deep folders", "too many entries", "encrypted", "unknown compression", "wrong checksum",
    "size beyond its data", "cut off", "not a zip",
]  # fmt: skip


@pytest.mark.parametrize("case", UNSAFE)
def test_an_unsafe_or_damaged_zip_is_400_naming_it(
    svc: Svc, tiny_files: dict[str, bytes], case: str
) -> None:
    data, named = _unsafe(tiny_files)[case]
    for route in ROUTES:
        response = svc.post(route, [("county.zip", data)])
        assert response.status_code == 400, (case, route, response.text)
        assert named in response.json()["detail"], response.text


# The hostile corpus: every reader and zip error is a 4xx naming the file -------------------------


def _toml_nested(depth: int) -> bytes:
    return b'name = "Deep"\nacademic_year = "2025-26"\nx = ' + b"[" * depth + b"]" * depth + b"\n"


def _corpus(tiny: dict[str, bytes]) -> dict[str, tuple[list[tuple[str, bytes]], str]]:
    """Each case: the files sent, and the name the answer must give."""
    loose = [(n, d) for n, d in tiny.items()]

    def replaced(name: str, data: bytes) -> list[tuple[str, bytes]]:
        return [(n, data if n == name else d) for n, d in loose]

    schools = tiny["schools.csv"].decode()
    first_urn = schools.splitlines()[1].split(",")[0]
    huge_urn = schools.replace(first_urn + ",", str(2**63 + 5) + ",", 1).encode()
    long_name = "x" * 296 + ".csv"
    out: dict[str, tuple[list[tuple[str, bytes]], str]] = {}
    for label, method in (
        ("deflate", zipfile.ZIP_DEFLATED),
        ("lzma", zipfile.ZIP_LZMA),
        ("bzip2", zipfile.ZIP_BZIP2),
    ):
        damaged = corrupt(zip_of(tiny, method), "scenario/schools.csv")
        out[f"corrupt {label} member"] = ([("county.zip", damaged)], "scenario/schools.csv")
    out.update(
        {
            "300-character name": ([*loose, (long_name, b"a\n1\n")], "x" * 60),
            "300-character name in a zip": (
                [("county.zip", zip_of({**tiny, long_name: b"a\n1\n"}))],
                "x" * 60,
            ),
            "control character in a zip name": (
                [("county.zip", zip_of({**tiny, "not\x1bes.csv": b"a\n"}))],
                "not\\x1bes.csv",
            ),
            "bidirectional override in a name": (
                [*loose, ("evil\u202ecsv.toml", b"")],
                "evil\\u202ecsv.toml",
            ),
            "folder in a name": ([*loose, ("sub/schools2.csv", b"a\n")], "sub/schools2.csv"),
            "parent folder in a name": (
                [*loose, ("../schools2.csv", b"a\n")],
                "../schools2.csv",
            ),
            "TOML nested 5,000 deep": (
                replaced("scenario.toml", _toml_nested(5000)),
                "scenario.toml",
            ),
            "TOML inline tables nested 5,000 deep": (
                replaced("scenario.toml", b"x = " + b"{a=" * 5000 + b"1" + b"}" * 5000 + b"\n"),
                "scenario.toml",
            ),
            "URN above 2^63": (replaced("schools.csv", huge_urn), "schools.csv"),
            "not UTF-8": (
                replaced("people.csv", tiny["people.csv"] + "Zoë\n".encode("latin-1")),
                "people.csv",
            ),
            "a CSV field over the csv module's limit": (
                replaced("closures.csv", tiny["closures.csv"] + b'"' + b"y" * 200_000 + b'"\n'),
                "closures.csv",
            ),
            "NUL bytes in a CSV": (
                replaced("terms.csv", tiny["terms.csv"] + b"\x00\x00,\x00\n"),
                "terms.csv",
            ),
            "invalid TOML": (replaced("staffing.toml", b"[[[ nope"), "staffing.toml"),
        }
    )
    return out


CORPUS = [
    "corrupt deflate member", "corrupt lzma member", "corrupt bzip2 member", "300-character name",
    "300-character name in a zip", "control character in a zip name",
    "bidirectional override in a name", "folder in a name", "parent folder in a name",
    "TOML nested 5,000 deep", "TOML inline tables nested 5,000 deep", "URN above 2^63", "not UTF-8",
    "a CSV field over the csv module's limit", "NUL bytes in a CSV", "invalid TOML",
]  # fmt: skip


@pytest.mark.parametrize("case", CORPUS)
def test_every_hostile_upload_is_a_4xx_naming_the_file(
    svc: Svc, tiny_files: dict[str, bytes], case: str
) -> None:
    files, named = _corpus(tiny_files)[case]
    stored = svc.post(ROUTES[0], files)
    assert 400 <= stored.status_code < 500, (case, stored.status_code, stored.text)
    assert named in strings(stored.json()), (case, stored.text)
    checked = svc.post(ROUTES[1], files)
    assert checked.status_code < 500, (case, checked.text)
    body = checked.json()
    assert checked.status_code >= 400 or body["valid"] is False, (case, checked.text)
    assert named in strings(body), (case, checked.text)


def test_a_raw_control_character_in_a_multipart_file_name_is_400(
    svc: Svc, tiny_files: dict[str, bytes]
) -> None:
    """httpx escapes control characters in file names; a hand-made body sends one as it is."""
    boundary = "lift-boundary"
    parts = [*tiny_files.items(), ("bad\x01name.csv", b"a\n")]
    body = (
        b"".join(
            f'--{boundary}\r\nContent-Disposition: form-data; name="files"; filename="{name}"\r\n'
            f"Content-Type: text/csv\r\n\r\n".encode()
            + data
            + b"\r\n"
            for name, data in parts
        )
        + f"--{boundary}--\r\n".encode()
    )
    response = svc.client.post(
        ROUTES[0],
        content=body,
        headers={**auth(svc.token), "Content-Type": f"multipart/form-data; boundary={boundary}"},
    )
    assert response.status_code == 400, response.text
    assert "bad\\x01name.csv" in response.json()["detail"]


def test_a_valid_zip_in_every_compression_still_uploads(
    svc: Svc, tiny_files: dict[str, bytes]
) -> None:
    for method in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA):
        response = svc.post(ROUTES[1], [("county.zip", zip_of(tiny_files, method))])
        assert response.status_code == 200 and response.json()["valid"] is True, response.text


# Off the event loop ------------------------------------------------------------------------------


def test_a_slow_upload_does_not_hold_up_other_requests(
    svc: Svc, tiny_files: dict[str, bytes], monkeypatch: pytest.MonkeyPatch
) -> None:
    started = threading.Event()
    original = api.uploads.read_scenario_with_notes

    def slow(folder: Path) -> Any:
        started.set()
        time.sleep(1.5)
        return original(folder)

    monkeypatch.setattr(api.uploads, "read_scenario_with_notes", slow)

    async def both() -> tuple[float, bool, int]:
        transport = httpx.ASGITransport(app=svc.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://lift") as client:
            upload = asyncio.create_task(
                client.post(
                    ROUTES[1],
                    files=[("files", ("county.zip", zip_of(tiny_files), "application/zip"))],
                    headers=auth(svc.token),
                )
            )
            while not started.is_set():
                await asyncio.sleep(0.01)
            began = time.perf_counter()
            health = await client.get("/api/health")
            took = time.perf_counter() - began
            busy = not upload.done()
            assert health.status_code == 200
            return took, busy, (await upload).status_code

    took, busy, status = asyncio.run(both())
    assert busy and took < 0.5, f"health waited {took:.2f} s for the upload"
    assert status == 200


# Nothing uploaded in the logs --------------------------------------------------------------------

VENUE = "Quillfeather Hall"
FILE = "Marrowbine-notes"


def test_uploaded_values_and_file_names_never_reach_the_logs(
    svc: Svc,
    tiny_files: dict[str, bytes],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    slots = tiny_files["meeting_slots.csv"].decode()
    venue = slots.splitlines()[1].split(",")[4]
    named = {**tiny_files, "meeting_slots.csv": slots.replace(venue, VENUE).encode()}
    bad_slots = slots.replace(venue, VENUE, 1).replace(",", ",,", 1)  # shifts a row's cells
    caplog.set_level(logging.DEBUG)
    sent: list[Callable[[], httpx.Response]] = [
        lambda: svc.post(ROUTES[0], [(f"{FILE}.zip", zip_of({**named, f"{FILE}.txt": b"x"}))]),
        lambda: svc.post(
            ROUTES[1], [(f"{FILE}.zip", zip_of({**named, "meeting_slots.csv": bad_slots.encode()}))]
        ),
        lambda: svc.post(ROUTES[0], [*named.items(), (f"{FILE}/x.csv", b"a\n")]),
        lambda: svc.post(
            ROUTES[0], [(f"{FILE}.zip", corrupt(zip_of(named), "scenario/meeting_slots.csv"))]
        ),
    ]
    statuses = [send().status_code for send in sent]
    assert statuses[0] == 201 and all(400 <= s < 500 for s in statuses[2:]), statuses

    def crash(folder: Path) -> Any:
        raise RuntimeError(f"cannot read {VENUE} in {FILE}")

    monkeypatch.setattr(api.uploads, "read_scenario_with_notes", crash)
    crashed = svc.post(ROUTES[0], [(f"{FILE}.zip", zip_of(named))])
    assert crashed.status_code == 422 and "meeting_slots.csv" in crashed.text
    assert VENUE not in crashed.text
    assert any(r.name == "lift.uploads" for r in caplog.records), "the crash is logged (by type)"
    logged = "\n".join(logging.Formatter().format(r) for r in caplog.records)
    assert VENUE not in logged and FILE not in logged and "Quillfeather" not in logged

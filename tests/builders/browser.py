"""Plain helpers for the browser tests: the live service, where screenshots go, the 390 px check and
the axe-core check (fixtures that start the browser live in tests/api/browser/conftest.py)."""

from __future__ import annotations

import os
import re
import shutil
import socket
import threading
import time
from pathlib import Path
from typing import Any

import uvicorn
from fastapi.testclient import TestClient

from api.admin import add_user
from api.main import create_app
from api.security import Role
from tests.api.accept import run_and_accept
from tests.builders.service import NORTH, Service, bearer, settings_for

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
JOB_TIMEOUT = 180_000
"""Milliseconds a job may take on a busy machine (they take seconds)."""
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
SCREENSHOTS_ENV = "LIFT_SCREENSHOTS"
"""Folder for the screenshots a test run saves (default `build/screenshots` in the checkout)."""


def screenshot_folder() -> Path:
    """Where this run's screenshots go, made if missing."""
    default = Path(__file__).resolve().parents[2] / "build" / "screenshots"
    folder = Path(os.environ.get(SCREENSHOTS_ENV) or default)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Live:
    """The service on a loopback port, with an officer and a Northdown coordinator (new users, or
    those of `tokens` already in the database of `folder`, as `copy_database` leaves it)."""

    def __init__(
        self, folder: Path, tiny_zip: bytes, tokens: tuple[str, str] | None = None
    ) -> None:
        self.app = create_app(settings_for(folder))
        if tokens is None:
            sessions = self.app.state.sessions
            tokens = (
                add_user(sessions, Role.COUNTY_OFFICER, None)[1],
                add_user(sessions, Role.DISTRICT_COORDINATOR, NORTH)[1],
            )
        self.officer, self.coordinator = tokens
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.tiny_zip = tiny_zip
        config = uvicorn.Config(self.app, host="127.0.0.1", port=self.port, log_level="warning")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> Live:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.05)
        return self

    def __exit__(self, *_: object) -> None:
        self.server.should_exit = True
        self.thread.join(30)


def copy_database(made: Path, folder: Path) -> None:
    """Copy the SQLite database a closed service left in `made` into `folder`: a service started on
    `folder` then begins exactly where that one stopped (made once, copied for each test)."""
    folder.mkdir(parents=True, exist_ok=True)
    for path in made.glob("lift.db*"):
        shutil.copyfile(path, folder / path.name)


def make_planned(folder: Path, data: bytes, name: str) -> tuple[str, str]:
    """A service in `folder` with the zipped county `data` uploaded (as `name`) as scenario #1 and its
    rota and caseload plan made and accepted in both districts by an officer, then stopped; returns
    the officer's and the Northdown coordinator's tokens (for a `Live` on a `copy_database`)."""
    with Live(folder, data) as server:
        client = TestClient(server.app)
        files = [("files", (name, data, "application/zip"))]
        stored = client.post("/api/scenarios", files=files, headers=bearer(server.officer))
        assert stored.status_code == 201, stored.text
        tokens = {"officer": server.officer, "coordinator": server.coordinator}
        svc = Service(client=client, tokens=tokens, scenario_id=1)
        run_and_accept(svc, "rota/solve", {"time_limit": 10})
        run_and_accept(svc, "caseload/plan", {"time_limit": 10})
    return server.officer, server.coordinator


def fits(page: Any, width: int) -> None:
    """The page is no wider than the screen (wide tables scroll in their own box)."""
    wide = page.evaluate(
        """(width) => [...document.querySelectorAll("body *")]
            .filter((e) => e.getBoundingClientRect().right > width + 1 && !e.closest(".scroll"))
            .filter((e) => e.getClientRects().length)
            .map((e) => `${e.tagName}#${e.id}.${e.className}`)""",
        width,
    )
    assert page.evaluate("document.documentElement.scrollWidth") <= width, wide


def accessible(page: Any) -> None:
    """axe-core finds no serious or critical violation on what the page shows now."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    bad = [
        f"{v['id']} ({v['impact']}): {v['help']} at "
        + ", ".join(str(n["target"]) for n in v["nodes"][:3])
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    assert not bad, "\n".join(bad)


def sign_in(page: Any, url: str, token: str) -> None:
    """Open the page and sign in with `token`."""
    from playwright.sync_api import expect

    page.goto(url + "/")
    page.fill("#token", token)
    page.click("#sign-in-form button")
    expect(page.locator("#who")).to_be_visible()


def shoot(page: Any, name: str, width: int | None = None) -> Path:
    """Save a full-page screenshot named `name` (at `width` px if given); check it fits and is
    accessible first. Returns the file."""
    if width is not None:
        page.set_viewport_size({"width": width, "height": 900})
        fits(page, width)
    accessible(page)
    path = screenshot_folder() / f"{re.sub(r'[^A-Za-z0-9_.-]', '-', name)}.png"
    page.screenshot(path=str(path), full_page=True)
    return path

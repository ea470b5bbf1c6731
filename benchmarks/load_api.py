"""Bounded load test of the service's read routes on loopback: N concurrent clients for T seconds.

Starts `lift serve` (Kent loaded) in a temporary folder on a free 127.0.0.1 port, plans the Kent rota
and computes staffing so the read routes have data, then runs the clients and prints p50/p95 latency per
route and overall, with the error count, as a table to paste into docs/benchmarks.md. Only loopback
addresses are accepted; every loop stops by itself at the deadline.

    .venv/bin/python benchmarks/load_api.py [--clients 20] [--seconds 30]
"""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

import httpx

READ_ROUTES = (
    "/api/health",
    "/api/me",
    "/api/scenarios",
    "/api/scenarios/{sid}",
    "/api/scenarios/{sid}/agreements?district=Swale",
    "/api/scenarios/{sid}/rota?district=Swale",
    "/api/scenarios/{sid}/rota/analysis?limit=1",
    "/api/scenarios/{sid}/caseload?district=Swale",
    "/api/scenarios/{sid}/staffing",
    "/api/jobs",
)
TOKEN = re.compile(r"lift_[A-Za-z0-9_\-]{40,}")


def loopback_only(url: str) -> None:
    """Refuse any target that is not this machine's loopback."""
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return
    if not ipaddress.ip_address(host).is_loopback:
        raise SystemExit(f"refusing to load {host}: only loopback addresses are allowed")


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_service(folder: Path, port: int) -> tuple[subprocess.Popen[str], str]:
    """`lift serve` in `folder`; returns the process and the first officer's token."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LIFT_")}
    process = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from api.cli import service_app; service_app()",
            "serve",
            "--port",
            str(port),
        ],
        cwd=folder,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert process.stdout is not None
    token = None
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        found = TOKEN.search(line)
        token = found.group(0) if found else token
        if "Application startup complete" in line:
            break
        if process.poll() is not None:
            raise SystemExit("lift serve stopped before it started")
    if token is None:
        process.terminate()
        raise SystemExit("lift serve printed no officer token")
    return process, token


def prepare(base: str, headers: dict[str, str]) -> int:
    """Plan the Kent rota and compute staffing, so the read routes return real data."""
    with httpx.Client(base_url=base, headers=headers, timeout=120) as client:
        sid = int(client.get("/api/scenarios").json()[0]["id"])
        job = client.post(f"/api/scenarios/{sid}/rota/solve", json={"time_limit": 30}).json()
        deadline = time.monotonic() + 90
        while client.get(f"/api/jobs/{job['id']}").json()["status"] in ("queued", "running"):
            if time.monotonic() > deadline:
                raise SystemExit("the rota did not finish in time")
            time.sleep(0.5)
        client.post(f"/api/scenarios/{sid}/staffing", json={}).raise_for_status()
        return sid


async def client_loop(
    client: httpx.AsyncClient,
    routes: list[str],
    offset: int,
    deadline: float,
    latencies: dict[str, list[float]],
    errors: dict[str, int],
    kinds: dict[str, int],
) -> None:
    """One client: the read routes in turn until the deadline."""
    i = offset
    while time.monotonic() < deadline:
        route = routes[i % len(routes)]
        i += 1
        started = time.perf_counter()
        try:
            response = await client.get(route)
            problem = "" if response.status_code == 200 else f"HTTP {response.status_code}"
        except httpx.HTTPError as error:
            problem = type(error).__name__
        elapsed = time.perf_counter() - started
        latencies.setdefault(route, []).append(elapsed)
        if problem:
            errors[route] = errors.get(route, 0) + 1
            kinds[problem] = kinds.get(problem, 0) + 1


async def run_load(
    base: str, headers: dict[str, str], sid: int, clients: int, seconds: float
) -> None:
    """Run the clients and print the table."""
    routes = [r.format(sid=sid) for r in READ_ROUTES]
    latencies: dict[str, list[float]] = {}
    errors: dict[str, int] = {}
    kinds: dict[str, int] = {}
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(
        base_url=base, headers=headers, timeout=30, limits=limits
    ) as client:
        deadline = time.monotonic() + seconds
        await asyncio.gather(
            *(
                client_loop(client, routes, n, deadline, latencies, errors, kinds)
                for n in range(clients)
            )
        )
    everything = [x for values in latencies.values() for x in values]
    print(
        f"\n{clients} clients, {seconds:g} s, {len(everything)} requests "
        f"({len(everything) / seconds:.0f}/s), {sum(errors.values())} errors"
    )
    for kind, n in sorted(kinds.items()):
        print(f"  {n} x {kind}")
    print()
    print("| route | requests | errors | p50 ms | p95 ms |")
    print("|---|---:|---:|---:|---:|")
    for route in [*routes, "all"]:
        values = everything if route == "all" else latencies.get(route, [])
        failed = sum(errors.values()) if route == "all" else errors.get(route, 0)
        if not values:
            continue
        p50 = statistics.median(values) * 1000
        p95 = statistics.quantiles(values, n=20)[-1] * 1000 if len(values) > 1 else p50
        shown = route.replace(f"/{sid}", "/{id}")
        print(f"| `{shown}` | {len(values)} | {failed} | {p50:.1f} | {p95:.1f} |")


def main() -> None:
    """Parse arguments, start the service, load it, stop it."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=30.0)
    args = parser.parse_args()
    if not 1 <= args.clients <= 100 or not 0 < args.seconds <= 120:
        raise SystemExit("--clients 1..100 and --seconds up to 120 keep the test bounded")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    loopback_only(base)
    with tempfile.TemporaryDirectory(prefix="lift-load-") as folder:
        process, token = start_service(Path(folder), port)
        try:
            headers = {"Authorization": f"Bearer {token}"}
            sid = prepare(base, headers)
            asyncio.run(run_load(base, headers, sid, args.clients, args.seconds))
        finally:
            process.terminate()
            process.wait(30)


if __name__ == "__main__":
    main()

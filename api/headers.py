"""Security headers on every response, and the API docs served from the package (no CDN)."""

from __future__ import annotations

from pathlib import PurePosixPath

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

PAGE_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)
"""The page's policy: scripts and styles only from files the service serves (none inline);
`blob:` images for the staffing chart the page fetches with the token."""

DOCS_POLICY = PAGE_POLICY.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'")
"""/docs: Swagger UI sets inline styles as it renders; its scripts are still files only."""

DOCS_PATH = "/docs"
DOCS_ASSETS = "/docs-assets"
CACHED = ("/static/", DOCS_ASSETS + "/")
"""Paths of the service's own unchanging files; everything else may hold case data: no-store."""

FIXED = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
    "cross-origin-opener-policy": "same-origin",
    "cross-origin-resource-policy": "same-origin",
    "permissions-policy": "camera=(), microphone=(), geolocation=(), payment=()",
}


def policy_for(path: str) -> str:
    """The Content-Security-Policy of a request path."""
    return DOCS_POLICY if path == DOCS_PATH else PAGE_POLICY


def cacheable(path: str) -> bool:
    """Whether a response may be cached: only the static files, never anything with data."""
    clean = str(PurePosixPath("/", path))
    return any(clean.startswith(prefix) for prefix in CACHED) and ".." not in path


class SecurityHeaders:
    """ASGI middleware: CSP, nosniff, frame and referrer protection on every HTTP response, and
    `Cache-Control: no-store` on all but the static files (a route's own headers win)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = str(scope.get("path", ""))

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in FIXED.items():
                    headers.setdefault(name, value)
                headers.setdefault("content-security-policy", policy_for(path))
                if not cacheable(path):
                    headers["cache-control"] = "no-store"
                    headers.setdefault("pragma", "no-cache")
            await send(message)

        await self.app(scope, receive, send_with_headers)

"""Errors as the API reports them: 400 unparsable, 401, 403, 404, 409, 413, 422 with the field path.

The services' own errors (`api.services.errors`: NotFound, Conflict, Invalid) are answered here with
404, 409 and 422. Every route documents the statuses it can return (`responses(...)`), so the OpenAPI
document lists them all.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, HTTPException, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from allocator.model import Problem, ScenarioError
from api.services.errors import Conflict, FieldError, Invalid, NotFound, ServiceError


def raised_at(error: BaseException) -> str:
    """An exception's type and the code line that raised it, for logs: never its message, which may
    quote uploaded values."""
    frame = error.__traceback__
    while frame is not None and frame.tb_next is not None:
        frame = frame.tb_next
    if frame is None:
        return type(error).__name__
    module = frame.tb_frame.f_globals.get("__name__", "?")
    return f"{type(error).__name__} at {module}:{frame.tb_lineno}"


class ErrorMessage(BaseModel):
    """An error for people."""

    detail: str


class PlainFieldError(FieldError):
    """An invalid field, with `message`: the field's name and what it expects, in plain English."""

    message: str = ""


class ValidationFailed(BaseModel):
    """Every invalid field of a request."""

    detail: list[PlainFieldError]


DATE = "a date written dd/mm/yyyy"
NAMES: dict[str, str] = {
    "case_id": "Case id",
    "school_urn": "School",
    "need_type": "Need",
    "sen_stage": "SEN stage",
    "lac": "Looked after",
    "consent": "Consent",
    "agreed_on": "Agreed on",
    "minutes_per_week": "Minutes a week",
    "weeks": "Weeks",
    "priority": "Priority",
    "time_limit": "Time limit (seconds)",
    "today": "Today",
    "free_from": "Free from",
    "free_groups": "Groups free to move",
    "on": "Date",
    "after": "After",
    "district": "District",
    "limit": "How many",
}
"""Fields' names as the page shows them (others: the field's own name, in words)."""
FORMATS: dict[str, str] = {
    "consent": "write yes, no, or exception: and the reason",
    "case_id": "letters, digits, dots, dashes and underscores only (a reference, never a name)",
    "school_urn": "a school of the scenario",
    "priority": "1 (urgent), 2 or 3 (routine)",
    "lac": "yes or no",
}
"""What a field expects, when its form says more than the rule that failed."""
_DATES = ("today", "free_from", "on", "after", "agreed_on", "closed_on", "start", "end", "from")
_RULES = {
    "greater_than": "more than {gt}",
    "greater_than_equal": "{ge} or more",
    "less_than": "less than {lt}",
    "less_than_equal": "at most {le}",
    "string_too_short": "at least {min_length} characters",
    "string_too_long": "at most {max_length} characters",
    "too_short": "at least {min_length} items",
    "too_long": "at most {max_length} items",
    "int_parsing": "a whole number",
    "int_type": "a whole number",
    "int_from_float": "a whole number",
    "float_parsing": "a number",
    "float_type": "a number",
    "finite_number": "a number",
    "bool_parsing": "yes or no (true or false)",
    "bool_type": "yes or no (true or false)",
    "string_type": "text",
    "list_type": "a list",
    "dict_type": "a set of named values",
    "model_type": "a set of named values",
    "enum": "one of {expected}",
    "literal_error": "one of {expected}",
}


def field_name(loc: Sequence[str | int]) -> str:
    """A field's name for people: its last named part of `loc` (not body, query or path)."""
    named = [p for p in loc if isinstance(p, str) and p not in ("body", "query", "path")]
    if not named:
        return "The request"
    last = named[-1]
    return NAMES.get(last, last.replace("_", " ").capitalize())


def plain_message(error: FieldError, ctx: dict[str, Any] | None = None) -> str:
    """What is wrong with a field in plain English: its name, what it expects and in which form."""
    named = [p for p in error.loc if isinstance(p, str) and p not in ("body", "query", "path")]
    key = named[-1] if named else ""
    name = field_name(error.loc)
    if error.type == "scenario_problem":
        rows = [str(p) for p in error.loc[3:] if isinstance(p, int)]
        where = (
            f"{error.loc[2]}" + (f", row {rows[0]}" if rows else "") if len(error.loc) > 2 else ""
        )
        column = f", column {key}" if len(named) > 2 else ""
        return f"{where}{column}: expected {error.msg}".lstrip(": ")
    if error.type == "extra_forbidden":
        return f"{name}: not something this form takes (leave it out)"
    wanted = DATE if key in _DATES or error.type.startswith("date") else FORMATS.get(key)
    if error.type == "missing":
        return f"{name} is needed" + (f": {wanted}" if wanted else "")
    if error.type.startswith("date") or key == "consent":
        return f"{name}: {wanted}"
    rule = _RULES.get(error.type)
    if rule is not None:
        try:
            said = rule.format(**(ctx or {}))
        except (KeyError, IndexError):
            said = ""
        said = said or error.msg
    else:
        said = error.msg.removeprefix("Value error, ").removeprefix("Assertion failed, ")
    if wanted and wanted not in said:
        return f"{name}: {said} ({wanted})"
    return f"{name}: {said}"


def _plain(error: FieldError, ctx: dict[str, Any] | None = None) -> PlainFieldError:
    if isinstance(error, PlainFieldError) and error.message:
        return error
    return PlainFieldError(**error.model_dump(), message=plain_message(error, ctx))


_DESCRIPTIONS = {
    400: "The body could not be parsed",
    401: "Missing or wrong bearer token",
    403: "Your role may not do this",
    404: "Not found (or not in your district)",
    409: "Conflicts with the current state",
    413: "The body is larger than the service accepts",
    422: "Invalid fields, each with its path",
}


def responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` for the error statuses a route can return."""
    return {
        code: {
            "model": ValidationFailed if code == 422 else ErrorMessage,
            "description": _DESCRIPTIONS[code],
        }
        for code in codes
    }


def problems_as_errors(problems: Sequence[Problem]) -> list[FieldError]:
    """Scenario problems as field errors: loc is ["body", "files", file, row, column]."""
    errors = []
    for p in problems:
        loc: list[str | int] = ["body", "files", p.file]
        if p.row is not None:
            loc.append(p.row)
        if p.column:
            loc.append(p.column)
        errors.append(FieldError(loc=loc, msg=p.expected, type="scenario_problem", input=p.value))
    return errors


def unprocessable(errors: Sequence[FieldError]) -> JSONResponse:
    """A 422 response listing `errors`, each with its plain `message`."""
    detail = [_plain(e) for e in errors]
    return JSONResponse(
        status_code=422, content=ValidationFailed(detail=detail).model_dump(mode="json")
    )


STATUS_OF: dict[type[ServiceError], int] = {NotFound: 404, Conflict: 409}
"""The status each service error is answered with."""


async def _validation(_request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RequestValidationError)
    raw = list(error.errors())
    if any(e.get("type") == "json_invalid" for e in raw):
        return JSONResponse(status_code=400, content={"detail": "the body is not valid JSON"})
    errors = [
        _plain(
            FieldError(
                loc=[p if isinstance(p, int) else str(p) for p in e.get("loc", ())],
                msg=str(e.get("msg", "")),
                type=str(e.get("type", "")),
                input=jsonable_encoder(e.get("input"), custom_encoder={bytes: lambda _: "<bytes>"}),
            ),
            _context(e.get("ctx")),
        )
        for e in raw
    ]
    return unprocessable(errors)


def _context(ctx: Any) -> dict[str, Any]:
    """A pydantic error's context with its values as text (`expected` lists read as words)."""
    if not isinstance(ctx, dict):
        return {}
    return {k: _said(v) for k, v in ctx.items()}


def _said(value: Any) -> str:
    """A limit or list as people write it: 600 rather than 600.0, no quotes."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).replace("'", "")


async def _invalid(_request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, Invalid)
    return unprocessable(error.errors)


async def _refused(_request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, ServiceError)
    status = next(code for kind, code in STATUS_OF.items() if isinstance(error, kind))
    return JSONResponse(status_code=status, content={"detail": error.detail})


async def _unreadable(_request: Request, error: Exception) -> JSONResponse:
    """Stored cases that no longer make a valid scenario (a case changed outside the service's
    checks): a 409 that names the first problem, instead of a bare 500."""
    assert isinstance(error, ScenarioError)
    first = error.problems[0] if error.problems else "unknown problem"
    more = f" (and {len(error.problems) - 1} more)" if len(error.problems) > 1 else ""
    detail = (
        f"The scenario's stored cases do not fit together: {first}{more}. "
        "Correct that case on the Agreements tab, then try again."
    )
    return JSONResponse(status_code=409, content={"detail": detail})


async def _http(_request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, StarletteHTTPException)
    return JSONResponse(
        status_code=error.status_code,
        content={"detail": error.detail},
        headers=getattr(error, "headers", None),
    )


def install(app: FastAPI) -> None:
    """Register the error handlers."""
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(Invalid, _invalid)
    for kind in STATUS_OF:
        app.add_exception_handler(kind, _refused)
    app.add_exception_handler(StarletteHTTPException, _http)
    app.add_exception_handler(ScenarioError, _unreadable)


class BodyLimit:
    """ASGI middleware: refuse bodies over `limit` bytes with 413, by header or as they stream in."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope.get("headers", ()):
            if name == b"content-length":
                try:
                    too_big = int(value) > self.limit
                except ValueError:
                    too_big = False
                if too_big:
                    await self._refuse(send)
                    return
        seen = 0
        started = False

        async def limited() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    raise _TooLarge(413, "the body is larger than the service accepts")
            return message

        async def tracking(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited, tracking)
        except _TooLarge:
            if not started:
                await self._refuse(send)

    async def _refuse(self, send: Send) -> None:
        body = b'{"detail":"the body is larger than the service accepts"}'
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


class _TooLarge(HTTPException):
    """A streamed body went over the limit (handled as 413 wherever it surfaces)."""

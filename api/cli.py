"""`lift serve`, `lift user add|list|revoke` and `lift purge`: the service's commands (mounted
into `lift`)."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Annotated, NoReturn

import typer

from api.db.models import User
from api.security import Role
from api.settings import DEFAULT_TOKEN_DAYS, DEFAULT_TOKEN_FILE, MAX_TOKEN_DAYS, Settings

service_app = typer.Typer(help="The LIFT web service and its users.", no_args_is_help=True)
user_app = typer.Typer(help="People who sign in to the service.", no_args_is_help=True)
service_app.add_typer(user_app, name="user")

DatabaseOpt = Annotated[
    str | None,
    typer.Option(
        "--database-url",
        envvar="LIFT_DATABASE_URL",
        help="Any SQLAlchemy URL (default: SQLite lift.db in the working directory).",
    ),
]


def _settings(database_url: str | None, **more: object) -> Settings:
    values: dict[str, object] = dict(more)
    if database_url:
        values["database_url"] = database_url
    return Settings(**values)  # type: ignore[arg-type]


@service_app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.", min=1, max=65535)] = 8000,
    database_url: DatabaseOpt = None,
    access_log: Annotated[
        bool, typer.Option(help="Log each request line (paths hold case ids).")
    ] = False,
    token_file: Annotated[
        Path | None,
        typer.Option(
            help="Where the first county officer's token is written, readable only by you "
            f"(default: LIFT_TOKEN_FILE, else {DEFAULT_TOKEN_FILE} beside the SQLite database).",
        ),
    ] = None,
) -> None:
    """Start the service and its web page, with the Kent scenario loaded on first run."""
    import uvicorn

    from api.admin import first_officer
    from api.main import create_app

    more: dict[str, object] = {"load_kent": True}
    if token_file is not None:
        more["token_file"] = str(token_file)
    settings = _settings(database_url, **more)
    app = create_app(settings)
    try:
        written = first_officer(
            app.state.sessions, settings.resolved_token_file(), settings.token_days
        )
    except ValueError as error:
        app.state.jobs.shutdown()
        app.state.engine.dispose()
        typer.echo(f"error: the first county officer's token cannot be written: {error}", err=True)
        raise typer.Exit(2) from None
    if written is not None:
        typer.echo(
            f"First start: a county officer was created. Its token is in {written} "
            "(readable only by you); sign in with it, keep it safe, then delete the file."
        )
    typer.echo(f"LIFT allocator on http://{host}:{port}/  (database: {_shown(settings)})")
    uvicorn.run(app, host=host, port=port, access_log=access_log, log_level="info")


def _shown(settings: Settings) -> str:
    from sqlalchemy.engine import make_url

    return make_url(settings.resolved_database_url()).render_as_string(hide_password=True)


@user_app.command("add")
def user_add(
    role: Annotated[Role, typer.Option(help="county_officer, district_coordinator or viewer.")],
    district: Annotated[
        str | None,
        typer.Option(help="The district of a coordinator (or a viewer), as in a stored scenario."),
    ] = None,
    name: Annotated[str | None, typer.Option(help="A label for the user (not needed).")] = None,
    days: Annotated[
        int | None,
        typer.Option(
            min=1,
            max=MAX_TOKEN_DAYS,
            help=f"Days the token signs in (default: LIFT_TOKEN_DAYS, else {DEFAULT_TOKEN_DAYS}).",
        ),
    ] = None,
    token_file: Annotated[
        Path | None,
        typer.Option(
            help="Write the token to this new file, readable only by you, instead of printing it."
        ),
    ] = None,
    database_url: DatabaseOpt = None,
) -> None:
    """Add a user and print their token once (only its hash is kept), or write it to --token-file."""
    from api.admin import add_user, known_districts, open_database, secret_file

    settings = _settings(database_url)
    if name is not None and not (name.strip() and name.isprintable()):
        _fail("--name must be printable text, with no control characters")
    engine, sessions = open_database(settings)
    try:
        if district is not None and role != Role.COUNTY_OFFICER:
            _check_district(district, known_districts(sessions))
        lifetime = days or settings.token_days
        if token_file is None:
            user, token = add_user(sessions, role, district, name, lifetime)
        else:
            with secret_file(token_file) as handle:
                user, token = add_user(sessions, role, district, name, lifetime)
                handle.write(token + "\n")
    except ValueError as error:
        _fail(str(error))
    finally:
        engine.dispose()
    where = f" for {user.district}" if user.district else ""
    until = f"valid until {_when(user.expires_at)}"
    if token_file is None:
        typer.echo(f"Added user {user.id} ({user.role}{where}), {until}. Token, shown only now:")
        typer.echo(token)
    else:
        typer.echo(
            f"Added user {user.id} ({user.role}{where}), {until}. "
            f"Its token is in {token_file} (readable only by you)."
        )


def _check_district(district: str, known: list[str]) -> None:
    """Exit 2 unless `district` is a district of a stored scenario."""
    if not known:
        _fail(
            f"no scenario is stored yet, so district {district!r} cannot be checked: start "
            "`lift serve` (it loads Kent) or upload a scenario first"
        )
    if district not in known:
        _fail(
            f"no stored scenario has the district {district!r}; the districts are: "
            + ", ".join(known)
        )


def _fail(message: str) -> NoReturn:
    """Print `message` as an error and exit 2."""
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(2)


def _when(moment: datetime | None) -> str:
    """A stored UTC time for people ("-" when there is none)."""
    return "-" if moment is None else f"{moment:%Y-%m-%d %H:%M} UTC"


def _state(user: User, now: datetime) -> str:
    """Whether a user's token signs in: active, expired or revoked."""
    if not user.active or user.revoked_at is not None:
        return "revoked"
    return "expired" if user.expires_at <= now else "active"


def _printable(value: str) -> str:
    """`value` with control characters shown as "?" (a name must not drive the terminal)."""
    return "".join(c if c.isprintable() else "?" for c in value)


@user_app.command("list")
def user_list(database_url: DatabaseOpt = None) -> None:
    """Every user: id, role, district, name, state and token times (never the token or its hash)."""
    from api.admin import list_users, open_database
    from api.db.models import utcnow

    engine, sessions = open_database(_settings(database_url))
    try:
        users = list_users(sessions)
    finally:
        engine.dispose()
    now = utcnow()
    header = (
        "id",
        "role",
        "district",
        "name",
        "state",
        "created",
        "expires",
        "revoked",
        "last used",
    )
    rows = [header] + [
        (
            str(u.id),
            u.role,
            _printable(u.district or "-"),
            _printable(u.name),
            _state(u, now),
            _when(u.created_at),
            _when(u.expires_at),
            _when(u.revoked_at),
            _when(u.last_used_at),
        )
        for u in users
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    for row in rows:
        typer.echo(
            "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        )


@user_app.command("revoke")
def user_revoke(
    who: Annotated[str, typer.Argument(help="The user's id (as `lift user list` shows) or name.")],
    database_url: DatabaseOpt = None,
) -> None:
    """Revoke a user's token: from now on it answers 401."""
    from api.admin import open_database, revoke_user

    engine, sessions = open_database(_settings(database_url))
    try:
        user, changed = revoke_user(sessions, who)
    except LookupError as error:
        _fail(str(error.args[0]))
    finally:
        engine.dispose()
    where = f" for {user.district}" if user.district else ""
    if changed:
        typer.echo(f"Revoked user {user.id} ({user.role}{where}): its token now answers 401.")
    else:
        typer.echo(
            f"User {user.id} was already revoked ({_when(user.revoked_at)}); nothing changed."
        )


@service_app.command()
def purge(
    finished_before: Annotated[
        datetime,
        typer.Option(
            formats=["%Y-%m-%d"], help="Delete cases closed before this day (YYYY-MM-DD)."
        ),
    ],
    dry_run: Annotated[bool, typer.Option(help="Count what would go; delete nothing.")] = False,
    database_url: DatabaseOpt = None,
) -> None:
    """Delete finished cases past their retention, with every plan row about them."""
    from api.admin import open_database, purge_finished

    cut: date = finished_before.date()
    engine, sessions = open_database(_settings(database_url))
    try:
        report = purge_finished(sessions, cut, dry_run=dry_run)
    finally:
        engine.dispose()
    verb = "Would delete" if dry_run else "Deleted"
    typer.echo(
        f"{verb} {report.cases} case(s) closed before {cut.isoformat()}: "
        f"{report.assignments} assignment(s), {report.waiting} waiting row(s), "
        f"{report.changes} change(s); {report.audit_entries_redacted} audit entr(ies) redacted."
    )
    if report.files_clean is False:
        typer.echo(
            "warning: the database was busy, so deleted bytes may remain in its file or its "
            "write-ahead log (-wal); run `lift purge` again when the service is idle.",
            err=True,
        )
        raise typer.Exit(1)

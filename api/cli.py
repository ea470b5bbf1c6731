"""`lift serve`, `lift user add` and `lift purge`: the service's commands (mounted into `lift`)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

import typer

from api.security import Role
from api.settings import Settings

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
) -> None:
    """Start the service and its web page, with the Kent scenario loaded on first run."""
    import uvicorn

    from api.admin import first_officer
    from api.main import create_app

    settings = _settings(database_url, load_kent=True)
    app = create_app(settings)
    token = first_officer(app.state.sessions)
    if token is not None:
        typer.echo("First start: a county officer was created. Its token (shown only now):")
        typer.echo(f"  {token}")
    typer.echo(f"LIFT allocator on http://{host}:{port}/  (database: {_shown(settings)})")
    uvicorn.run(app, host=host, port=port, access_log=access_log, log_level="info")


def _shown(settings: Settings) -> str:
    from sqlalchemy.engine import make_url

    return make_url(settings.resolved_database_url()).render_as_string(hide_password=True)


@user_app.command("add")
def user_add(
    role: Annotated[Role, typer.Option(help="county_officer, district_coordinator or viewer.")],
    district: Annotated[
        str | None, typer.Option(help="The district of a coordinator (or a viewer).")
    ] = None,
    name: Annotated[str | None, typer.Option(help="A label for the user (not needed).")] = None,
    database_url: DatabaseOpt = None,
) -> None:
    """Add a user and print their token once (only its hash is kept)."""
    from api.admin import add_user, open_database

    engine, sessions = open_database(_settings(database_url))
    try:
        user, token = add_user(sessions, role, district, name)
    except ValueError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(2) from None
    finally:
        engine.dispose()
    where = f" for {user.district}" if user.district else ""
    typer.echo(f"Added user {user.id} ({user.role}{where}). Token, shown only now:")
    typer.echo(token)


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

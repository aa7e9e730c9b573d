"""The `certfed` command line. Non-interactive; every error is one line on stderr and a
non-zero exit status."""

from __future__ import annotations

import os
import sys

import click

from certfed.kernel.labels import LabelError as LabelErrorType
from certfed.platform.config import ConfigError


def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "certfed.platform.settings")
    import django

    django.setup()


def _database_label() -> str:
    from django.db import connection

    settings = connection.settings_dict
    if settings["ENGINE"].endswith("sqlite3"):
        return f"SQLite {settings['NAME']}"
    host = settings.get("HOST") or "localhost"
    return f"PostgreSQL {host}:{settings.get('PORT') or 5432}/{settings['NAME']}"


def _migrate(verbose: bool = False) -> None:
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=1 if verbose else 0)


def _pending_migrations() -> bool:
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    return bool(executor.migration_plan(executor.loader.graph.leaf_nodes()))


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def cli() -> None:
    """certfed: threat-intelligence sharing for a federation of CERTs."""


@cli.command()
def init() -> None:
    """Create the database, or migrate it to this version."""
    _setup()
    _migrate()
    click.echo(f"database ready: {_database_label()}")


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--workers", default=2, show_default=True, type=click.IntRange(1, 64))
@click.option("--threads", default=4, show_default=True, type=click.IntRange(1, 64))
def serve(host: str, port: int, workers: int, threads: int) -> None:
    """Serve the web UI, the API and static files with a production WSGI server."""
    _setup()
    if _pending_migrations():
        raise click.ClickException("the database is not initialised: run `certfed init` first")
    from certfed.platform.server import warm_up_parts

    try:
        warm_up_parts()
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    _serve(host, port, workers, threads)


def _serve(host: str, port: int, workers: int, threads: int) -> None:
    from django.db import connections

    from certfed.platform.server import run

    connections.close_all()  # never share a connection across the fork
    run(host=host, port=port, workers=workers, threads=threads)


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--no-serve", is_flag=True, help="Load the demo data and stop.")
def demo(host: str, port: int, no_serve: bool) -> None:
    """Initialise, load a fictional federation, and serve it."""
    _setup()
    from certfed.platform.demo import DEMO_PASSWORD, load_demo

    _migrate()
    summary = load_demo()
    click.echo(f"database: {_database_label()}")
    click.echo(summary.describe())
    click.echo("")
    click.echo(f"Demo logins (password for all: {DEMO_PASSWORD}):")
    for email, what in summary.logins:
        click.echo(f"  {email:<34} {what}")
    if no_serve:
        return
    click.echo(f"\ncertfed is running at http://{host}:{port}/  (Ctrl-C stops it)")
    _serve(host, port, 2, 4)


@cli.group()
def org() -> None:
    """Member organisations."""


@org.command("create")
@click.argument("name")
@click.option("--short", "short_name", required=True, help="Unique short name, e.g. MyCERT.")
@click.option("--country", required=True, help="ISO 3166 alpha-2 code, e.g. MY.")
@click.option(
    "--category",
    required=True,
    type=click.Choice(["full", "general", "professional", "affiliate", "commercial"]),
)
def org_create(name: str, short_name: str, country: str, category: str) -> None:
    """Add a member organisation."""
    _setup()
    from certfed.audit.log import CLI
    from certfed.members.actions import do_create_organisation

    o = do_create_organisation(
        CLI, name=name, short_name=short_name, country=country, category=category
    )
    click.echo(f"created organisation {o.short_name} ({o.name}, {o.country}, {o.category})")


@org.command("status")
@click.argument("short_name")
@click.argument("status", type=click.Choice(["active", "suspended"]))
def org_status(short_name: str, status: str) -> None:
    """Suspend or reactivate an organisation (takes effect at once)."""
    _setup()
    from certfed.audit.log import CLI
    from certfed.members.actions import do_set_organisation_status, organisation_by_short

    o = do_set_organisation_status(CLI, organisation_by_short(short_name), status)
    click.echo(f"organisation {o.short_name} is now {o.status}")


@cli.group()
def user() -> None:
    """User accounts."""


@user.command("create")
@click.argument("email")
@click.option("--org", "org_short", required=True, help="Short name of the organisation.")
@click.option("--role", required=True, type=click.Choice(["org-admin", "analyst", "viewer"]))
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@click.option("--name", "full_name", default="", help="Full name.")
@click.option("--secretariat", is_flag=True, help="Grant the federation secretariat role.")
@click.option("--board", is_flag=True, help="Grant the board role.")
@click.option("--platform-admin", is_flag=True, help="May manage accounts and settings.")
def user_create(
    email: str,
    org_short: str,
    role: str,
    password_stdin: bool,
    full_name: str,
    secretariat: bool,
    board: bool,
    platform_admin: bool,
) -> None:
    """Add a user to an organisation."""
    password = None
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            raise click.ClickException("--password-stdin: no password on standard input")
    _setup()
    from certfed.audit.log import CLI
    from certfed.members.actions import do_create_user, organisation_by_short

    u = do_create_user(
        CLI,
        email=email,
        organisation=organisation_by_short(org_short),
        role=role,
        password=password,
        full_name=full_name,
        is_secretariat=secretariat,
        is_board=board,
        is_platform_admin=platform_admin,
    )
    how = "with a password" if password else "without a password (API keys only)"
    click.echo(f"created user {u.email} ({u.role} of {u.organisation.short_name}) {how}")


class _Progress:
    """A progress bar on stderr whose length the ingest sets once it has parsed the file."""

    def __init__(self, label: str) -> None:
        # Only on a terminal: in scripts and CI, stderr stays for the one-line errors.
        self._bar = None
        if sys.stderr.isatty():
            self._bar = click.progressbar(length=1, label=label, file=sys.stderr, show_pos=True)

    def __enter__(self) -> _Progress:
        if self._bar is not None:
            self._bar.__enter__()
        return self

    def __exit__(self, *exc) -> None:
        if self._bar is not None:
            self._bar.__exit__(*exc)

    def set_total(self, total: int) -> None:
        if self._bar is not None:
            self._bar.length = max(total, 1)
            self._bar.render_progress()

    def __call__(self, n: int) -> None:
        if self._bar is not None:
            self._bar.update(n)


def _org_for_import(org_short: str | None):
    from certfed.members.actions import organisation_by_short
    from certfed.members.models import Organisation

    if org_short:
        return organisation_by_short(org_short)
    orgs = list(Organisation.objects.all()[:2])
    if len(orgs) != 1:
        raise click.UsageError("--org SHORT is needed (which organisation owns the import?)")
    return orgs[0]


def _defaults(tlp: str, pap: str, distribution: str, sharing_group: str | None, draft: bool):
    from certfed.intel.ingest import Defaults
    from certfed.kernel.labels import LabelError

    try:
        return Defaults.checked(tlp, pap, distribution, sharing_group, published=not draft)
    except LabelError as exc:
        raise click.UsageError(f"--{exc.field.replace('_', '-')}: {exc.message}") from None


_LABEL_OPTIONS = [
    click.option("--org", "org_short", help="Short name of the owning organisation."),
    click.option("--tlp", default="AMBER", show_default=True,
                 help="TLP for objects whose source has none."),
    click.option("--pap", default="AMBER", show_default=True),
    click.option("--distribution", default="organisation", show_default=True,
                 help="Audience for objects whose source has none."),
    click.option("--sharing-group", help="Sharing group uuid, with --distribution sharing_group."),
    click.option("--draft", is_flag=True, help="Import as unpublished drafts."),
]  # fmt: skip


def _label_options(func):
    for option in reversed(_LABEL_OPTIONS):
        func = option(func)
    return func


def _report(result) -> None:
    click.echo(
        f"events: {result.events_created} created, {result.events_updated} updated, "
        f"{result.events_unchanged} unchanged; indicators written: {result.indicators_written}"
    )
    if result.skipped:
        click.echo(f"skipped {len(result.skipped)}:")
        for problem in result.skipped:
            click.echo(f"  {problem}")


@cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, readable=True))
@click.option("--format", "fmt", type=click.Choice(["stix", "misp", "csv"]),
              help="Detected from the file when omitted.")  # fmt: skip
@_label_options
@click.option("--skip-invalid", is_flag=True, help="Keep the good part and list what was skipped.")
def import_(file, fmt, org_short, tlp, pap, distribution, sharing_group, draft, skip_invalid):
    """Import a STIX 2.1 bundle, MISP event JSON or CSV, all or nothing, idempotently."""
    _setup()
    from pathlib import Path

    from certfed.audit.log import CLI
    from certfed.exchange.importer import import_file
    from certfed.sharing.access import viewer_for_org

    org = _org_for_import(org_short)
    defaults = _defaults(tlp, pap, distribution, sharing_group, draft)
    with _Progress("importing") as progress:
        result = import_file(
            CLI, viewer_for_org(org), Path(file), fmt=fmt, defaults=defaults,
            skip_invalid=skip_invalid, progress=progress,
        )  # fmt: skip
    _report(result)


@cli.group()
def pull() -> None:
    """Fetch intelligence from other platforms."""


@pull.command("taxii")
@click.argument("url")
@click.option("--collection", required=True, help="The remote collection id.")
@click.option("--user", help="User name for HTTP Basic auth.")
@click.option("--password", help="Password or API key (or CERTFED_PULL_PASSWORD).",
              envvar="CERTFED_PULL_PASSWORD")  # fmt: skip
@_label_options
def pull_taxii_cmd(url, collection, user, password, org_short, tlp, pap, distribution,
                   sharing_group, draft):  # fmt: skip
    """Import a remote TAXII 2.1 collection; the next run fetches only what was added since."""
    _setup()
    from certfed.exchange.taxii21.client import pull_taxii

    org = _org_for_import(org_short)
    defaults = _defaults(tlp, pap, distribution, sharing_group, draft)
    summary = pull_taxii(url, collection, user=user, password=password, org=org,
                         defaults=defaults)  # fmt: skip
    for key, value in summary.items():
        click.echo(f"{key}: {value}")


@cli.group()
def apikey() -> None:
    """API keys."""


@apikey.command("create")
@click.option("--user", "email", required=True, help="Email of the key's user.")
@click.option("--scope", default="read", show_default=True, type=click.Choice(["read", "write"]))
@click.option("--name", default="", help="A label to recognise the key by.")
def apikey_create(email: str, scope: str, name: str) -> None:
    """Create an API key; it is printed once, as the last line, and stored only hashed."""
    _setup()
    from certfed.audit.log import CLI
    from certfed.members.actions import do_create_api_key, user_by_email

    record, key = do_create_api_key(CLI, user_by_email(email), scope=scope, name=name)
    click.echo(
        f"API key {record.prefix}… ({scope}) for {record.user.email}; it is shown only once:"
    )
    click.echo(key)


def main(argv: list[str] | None = None) -> None:
    """Entry point: turns every expected failure into one line and exit status 1 or 2."""
    try:
        cli.main(args=argv, prog_name="certfed", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("certfed: aborted", err=True)
        sys.exit(1)
    except click.UsageError as exc:
        click.echo(f"certfed: {exc.format_message()}", err=True)
        sys.exit(2)
    except click.ClickException as exc:
        click.echo(f"certfed: {exc.format_message()}", err=True)
        sys.exit(1)
    except LabelErrorType as exc:
        click.echo(f"certfed: {exc}", err=True)
        sys.exit(1)
    except ConfigError as exc:
        click.echo(f"certfed: {exc}", err=True)
        sys.exit(1)
    except Exception as exc:  # noqa: BLE001
        from certfed.platform.errors import ActionError

        if isinstance(exc, ActionError):
            click.echo(f"certfed: {exc}", err=True)
            sys.exit(1)
        from django.db.utils import Error as DatabaseError

        if isinstance(exc, DatabaseError):
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            click.echo(f"certfed: database error: {first}", err=True)
            sys.exit(1)
        raise


if __name__ == "__main__":
    main()

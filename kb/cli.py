"""The `kb` command: initialize, import, check, export, serve, search, reindex, status, mail.

Every command that changes something calls the same service functions as the
portal, as the installation's operator (the SYSTEM identity).
"""

from __future__ import annotations

import functools
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, Sequence

import click
from flask import current_app
from flask.cli import ScriptInfo

from kb.content.validate import check_file, iter_documents

if TYPE_CHECKING:
    from click._termui_impl import ProgressBar


def _cli_app():
    from kb.app import create_app

    # commands initialize explicitly, with progress, instead of on app creation
    return create_app({"AUTO_INIT": False})


def with_appcontext(command):
    """Run the command inside an application context, building the app only then.

    Tests pass their own app through Flask's ScriptInfo (app.test_cli_runner()).
    """
    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        info = click.get_current_context().find_object(ScriptInfo)
        app = info.load_app() if info is not None else _cli_app()
        with app.app_context():
            return command(*args, **kwargs)
    return wrapper


class _Group(click.Group):
    """Bad settings end any command with one line naming the setting, not a traceback."""

    def invoke(self, ctx):
        from kb.config import ConfigError
        from kb.migrations import SchemaOutOfDate

        try:
            return super().invoke(ctx)
        except (ConfigError, SchemaOutOfDate) as exc:
            click.echo(f"Error: {exc}", err=True)
            ctx.exit(2)


@click.group(cls=_Group)
@click.version_option(package_name="practice-exchange", prog_name="kb")
def main():
    """Manage a practice exchange: its database, documents and search index."""


class _Progress:
    """A progress bar on stderr whose length the service reports when it knows it."""

    def __init__(self, label: str):
        self.label = label
        self.bar: ProgressBar[int] | None = None
        self.done = 0

    def start(self, total: int) -> None:
        bar = click.progressbar(length=total, label=self.label, file=sys.stderr,
                                show_pos=True)
        self.bar = bar
        bar.__enter__()

    def step(self, *_args) -> None:
        self.reach(self.done + 1)

    def reach(self, done: int) -> None:
        if self.bar is not None:
            self.bar.update(done - self.done)
        self.done = done

    def __enter__(self) -> "_Progress":
        return self

    def __exit__(self, *exc) -> None:
        if self.bar is not None:
            self.bar.__exit__(*exc)


def _print_problems(path: str, problems) -> None:
    for problem in problems:
        label = "" if problem.severity == "error" else "warning: "
        line = problem.format(path)
        if label:
            head, rest = line.split(": ", 1)
            line = f"{head}: {label}{rest}"
        click.echo(line)


def _import_with_progress(directory: Path) -> bool:
    from kb.services.identity import SYSTEM
    from kb.services.practices import practices_import_dir

    files = sorted(directory.glob("*.md"))
    problems: list[tuple[str, list]] = []
    with click.progressbar(length=len(files), label=f"Importing {directory}",
                           file=sys.stderr, show_pos=True) as bar:
        def on_file(path, status, found):
            if found:
                problems.append((str(path), found))
            bar.update(1)

        report = practices_import_dir(SYSTEM, directory, on_file=on_file)
    for path, found in problems:
        _print_problems(path, found)
    click.echo(f"{len(report.created)} created, {len(report.updated)} updated, "
               f"{len(report.unchanged)} unchanged, {len(report.failed)} failed, "
               f"{len(report.refused)} refused")
    return report.ok


def _rebuild_with_progress() -> int:
    from kb.services.identity import SYSTEM
    from kb.services.search import search_rebuild

    from kb.services.readmodel import read_model_rebuild

    with _Progress("Indexing") as bar:
        count = search_rebuild(SYSTEM, progress=bar.reach, on_total=bar.start)
    with _Progress("Read model") as bar:
        read_model_rebuild(SYSTEM, progress=bar.reach, on_total=bar.start)
    return count


@main.command("init")
@with_appcontext
def init_command():
    """Create the database and import the bundled practices (safe to run twice)."""
    from kb.bootstrap import init_database, seed_documents
    from kb.services.identity import SYSTEM
    from kb.services.places import org_places_seed
    from kb.services.readmodel.catchup import START_SIMILAR, read_model_catch_up
    from kb.services.search import search_catch_up

    seed_documents()  # a missing or empty KB_SEED_DIR is an error, not an empty "Ready"
    init_database(seed=False, upgrade_existing=True)
    ok = _import_with_progress(Path(current_app.config["SEED_DIR"]))
    # cities and municipalities of the seed practices get their GeoNames places
    # (organizations that have one already are left as they are)
    confirmed = org_places_seed(SYSTEM)
    if confirmed:
        click.echo(f"GeoNames places confirmed for {confirmed} organizations")
    search_catch_up()
    read_model_catch_up(similar_upto=START_SIMILAR)  # a large backlog: the applier
    click.echo(f"Ready: database {current_app.config['DATABASE_URL']}")
    sys.exit(0 if ok else 1)


@main.command("import")
@click.argument("directory", type=click.Path(exists=True, file_okay=False, path_type=Path))
@with_appcontext
def import_command(directory: Path):
    """Import every DIRECTORY/*.md (upsert by slug; unchanged files are skipped).

    Prints one line per problem as path:line: field: message; the good files
    are imported anyway. A file is refused when it would publish over an
    archived practice or widen who may see a network-only one. Exits 1 when
    any file failed or was refused.
    """
    from kb.bootstrap import init_database

    if not any(directory.glob("*.md")):
        click.echo(f"Error: {directory} holds no practice documents (*.md files); "
                   "nothing to import", err=True)
        sys.exit(1)
    init_database(seed=False)
    sys.exit(0 if _import_with_progress(directory) else 1)


@main.command("check")
@click.argument("paths", nargs=-1, required=True,
                type=click.Path(exists=True, path_type=Path))
def check_command(paths):
    """Validate practice documents without importing them (same output as import)."""
    from kb.content.document import unknown_original

    checked = [(path, check_file(path)) for path in iter_documents(list(paths))]
    given = {result.practice.slug for _path, result in checked if result.practice}
    originals = {result.practice.adapted_from for _path, result in checked
                 if result.practice and result.practice.adapted_from} - given
    known = _slugs_in_knowledge_base(originals) if originals else set()
    failed = 0
    for path, result in checked:
        warnings = list(result.warnings)
        if result.practice and result.practice.adapted_from in originals - known:
            warnings.append(unknown_original(path.read_text(encoding="utf-8"),
                                             result.practice.adapted_from))
        _print_problems(str(path), result.errors + warnings)
        failed += bool(result.errors)
    click.echo(f"{len(checked) - failed} valid, {failed} invalid")
    sys.exit(1 if failed else 0)


def _slugs_in_knowledge_base(slugs: set[str]) -> set[str]:
    """Which of these practices the configured knowledge base holds; creates nothing."""
    from sqlalchemy import select

    from kb.bootstrap import database_ready
    from kb.config import load_settings
    from kb.db import session
    from kb.models import Practice

    info = click.get_current_context().find_object(ScriptInfo)
    if info is None:
        settings = load_settings()
        instance = Path(settings["INSTANCE_PATH"] or Path.cwd() / "instance")
        if not settings["DATABASE_URL"] and not (instance / "kb.sqlite3").exists():
            return set()  # no knowledge base here: only the documents given count
    app = info.load_app() if info is not None else _cli_app()
    with app.app_context():
        if not database_ready():
            return set()
        return set(session().scalars(select(Practice.slug).where(Practice.slug.in_(slugs))))


@main.command("export")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option("--include-network", is_flag=True,
              help="Also write network-only practices (their documents only: for the "
                   "whole installation use `kb backup`).")
@with_appcontext
def export_command(directory: Path, include_network: bool):
    """Make DIRECTORY hold every published public practice as <slug>.md, exactly as stored.

    Files of practices that are archived, unpublished, deleted or network-only
    are removed; files the knowledge base does not know are left alone.
    """
    from kb.services.identity import SYSTEM
    from kb.services.practices import practices_export

    _require_database()
    with _Progress(f"Exporting to {directory}") as bar:
        result = practices_export(SYSTEM, directory, on_file=bar.step, on_total=bar.start,
                                  include_network=include_network)
    click.echo(f"{len(result.exported)} practices in {directory} ({len(result.written)} "
               f"written, {len(result.removed)} removed)")


@main.command("backup")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def backup_command(file: Path):
    """Write the whole installation to FILE (.tar.gz): every table and the mail outbox.

    Accounts, organizations, networks, practices with every revision, the change log,
    the audit log, reports, notifications and outgoing mail, read in one consistent
    snapshot while the portal keeps serving. The search index and the read model are
    left out: `kb restore` rebuilds them. The file restores into SQLite or PostgreSQL.
    """
    from kb.services.backup import instance_backup
    from kb.services.identity import SYSTEM

    _require_database()
    with _Progress(f"Backing up to {file}") as bar:
        report = _report(lambda: instance_backup(SYSTEM, file, on_total=bar.start,
                                                 progress=bar.reach))
    m = report.manifest
    click.echo(f"Backed up {m.rows} rows of {len(m.tables)} tables and {len(m.files)} files "
               f"to {file} (schema {m.schema_fingerprint})")


@main.command("restore")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@with_appcontext
def restore_command(file: Path):
    """Restore a backup made by `kb backup` into a new, empty installation.

    Refused when the database already holds data. Every table is written in one
    transaction (all or nothing), then the search index and the read model are rebuilt.
    """
    from kb.bootstrap import init_database
    from kb.services.backup import backup_manifest, instance_restore
    from kb.services.identity import SYSTEM

    _report(lambda: backup_manifest(file))  # a file that is no backup creates nothing
    init_database(seed=False)  # the schema, as `kb init` makes it; no practices
    with _Progress(f"Restoring {file}") as bar:
        report = _report(lambda: instance_restore(SYSTEM, file, on_total=bar.start,
                                                  progress=bar.reach))
    m = report.manifest
    click.echo(f"Restored {m.rows} rows of {len(m.tables)} tables and {len(m.files)} files "
               f"(backup of {m.created_at}, version {m.product_version})")
    count = _rebuild_with_progress()
    click.echo(f"Indexed {count} practices into {current_app.config['INDEX_DIR']}")


@main.command("reindex")
@with_appcontext
def reindex_command():
    """Rebuild the search index beside the current one and swap it in, then the read model."""
    from kb.services.identity import SYSTEM
    from kb.services.search import search_status

    _require_database()
    count = _rebuild_with_progress()
    failures = search_status(SYSTEM).failures
    click.echo(f"Indexed {count - len(failures)} practices into "
               f"{current_app.config['INDEX_DIR']}")
    _print_index_failures(failures)


@main.group("vectors")
def vectors_group():
    """Move the search index's cached practice vectors between nodes.

    With dense retrieval on, every published revision is embedded once and kept in the
    node's vector cache. A new node, or a node whose index folder was lost, reads the
    vectors of another node instead of embedding every practice again."""


@vectors_group.command("export")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def vectors_export_command(file: Path):
    """Write this node's cached vectors to FILE (.npz)."""
    from kb.services.identity import SYSTEM
    from kb.services.search import search_vectors_export

    count = _report(lambda: search_vectors_export(SYSTEM, str(file)))
    click.echo(f"{count} vectors written to {file}")


@vectors_group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@with_appcontext
def vectors_import_command(file: Path):
    """Add the vectors of FILE (written by `kb vectors export`) to this node's cache."""
    from kb.services.identity import SYSTEM
    from kb.services.search import search_vectors_import

    count = _report(lambda: search_vectors_import(SYSTEM, str(file)))
    click.echo(f"{count} new vectors added from {file}; `kb reindex` uses them")


def _print_index_failures(failures) -> None:
    if failures:
        click.echo(f"{len(failures)} practice(s) could not be indexed and are left out of "
                   "search:")
    for f in failures:
        click.echo(f"  {f.slug} (id {f.practice_id}, change {f.change_id}, {f.failed_at}): "
                   f"{f.error}")


def _vocabulary(field: str):
    """A click callback refusing the values a practice document may not carry."""
    from kb.content.document import value_problem

    def check(_ctx, _param, values):
        for value in values:
            problem = value_problem(field, value)
            if problem:
                raise click.BadParameter(problem.replace("themes[0]: ", ""))
        return values
    return check


@main.command("search")
@click.argument("query", default="")
@click.option("--theme", multiple=True, callback=_vocabulary("theme"),
              help="Filter by theme (repeatable).")
@click.option("--country", multiple=True, callback=_vocabulary("country"),
              help="Filter by ISO country code (repeatable).")
@click.option("--language", multiple=True, callback=_vocabulary("language"),
              help="Filter by language code (repeatable).")
@click.option("--stage", multiple=True, callback=_vocabulary("stage"),
              help="Filter by stage (repeatable).")
@click.option("--evidence", multiple=True, callback=_vocabulary("evidence"),
              help="Filter by evidence level (repeatable).")
@click.option("--sort", type=click.Choice(["relevance", "newest", "title", "adapted"]),
              default="relevance", show_default=True)
@click.option("--page", default=1, show_default=True, type=click.IntRange(min=1))
@click.option("--format", "output", type=click.Choice(["table", "json", "csv"]),
              default="table", show_default=True,
              help="A table for reading, or JSON / CSV with every field for scripts.")
@with_appcontext
def search_command(query, theme, country, language, stage, evidence, sort, page, output):
    """Search the published practices and print a table (or JSON / CSV)."""
    from kb.models import iso_utc
    from kb.services.identity import ANONYMOUS
    from kb.services.search import practice_search

    _require_database()
    filters = {k: list(v) for k, v in (("theme", theme), ("country", country),
                                          ("language", language), ("stage", stage),
                                          ("evidence", evidence)) if v}
    results = practice_search(ANONYMOUS, query, filters, sort=sort, page=page)
    if results.total and page > results.pages:
        click.echo(f"Error: there is no page {page}: {_practices(results.total)} fill "
                   f"{results.pages} page{'s' if results.pages != 1 else ''}", err=True)
        sys.exit(1)
    rows: list[dict[str, Any]] = [
        {"slug": h.slug, "title": h.title, "language": h.language, "country": h.country,
         "organization": h.organization, "themes": list(h.themes), "stage": h.stage,
         "evidence": h.evidence,
         "published_at": iso_utc(h.published_at) if h.published_at else None}
        for h in results.hits]
    if output == "json":
        import json

        click.echo(json.dumps({"total": results.total, "page": results.page,
                               "pages": results.pages, "suggestion": results.suggestion,
                               "results": rows}, ensure_ascii=False, indent=2))
        return
    if output == "csv":
        import csv

        writer = csv.DictWriter(sys.stdout, fieldnames=list(
            rows[0] if rows else ["slug", "title", "language", "country", "organization",
                                  "themes", "stage", "evidence", "published_at"]))
        writer.writeheader()
        for row in rows:
            writer.writerow({**row, "themes": " ".join(row["themes"])})
        return
    header = _practices(results.total)
    if results.pages > 1:
        header += f" (page {results.page} of {results.pages})"
    click.echo(header + (f" - did you mean: {results.suggestion}"
                         if results.suggestion else ""))
    if not rows:
        return
    table = [("slug", "title", "lang", "country", "organization")]
    table += [(r["slug"], r["title"], r["language"], r["country"], r["organization"])
              for r in rows]
    # the slug is what a user copies: printed whole; long titles and names are shortened
    caps = (None, 60, 4, 7, 40)
    widths = [max(len(r[i]) for r in table) if cap is None
              else min(max(len(r[i]) for r in table), cap) for i, cap in enumerate(caps)]
    for i, line in enumerate(table):
        click.echo("  ".join(_fit(cell, w).ljust(w) for cell, w in zip(line, widths)).rstrip())
        if i == 0:
            click.echo("  ".join("-" * w for w in widths))


def _practices(count: int) -> str:
    return f"{count} practice" if count == 1 else f"{count} practices"


def _fit(text: str, width: int) -> str:
    return text if len(text) <= width else text[:width - 1] + "…"


def _require_database() -> None:
    """Commands that read the knowledge base say how to create it instead of a traceback,
    and refuse a schema of another version (SchemaOutOfDate)."""
    from kb.bootstrap import database_ready
    from kb.db import get_db
    from kb.migrations import check

    if not database_ready():
        click.echo(f"Error: no knowledge base at {current_app.config['DATABASE_URL']} yet: "
                   "run `kb init` first", err=True)
        sys.exit(1)
    check(get_db().engine)


def _report(call):
    """Run a service call; print its refusal as a clear message and exit 1."""
    from kb.services.errors import InvalidInput, ServiceError

    try:
        return call()
    except InvalidInput as exc:
        for field, message in exc.errors.items():
            click.echo(f"{field}: {message}", err=True)
    except ServiceError as exc:
        click.echo(str(exc), err=True)
    sys.exit(1)


@main.command("status")
@with_appcontext
def status_command():
    """Show the database, schema, practices, search index, pending changes and outbox."""
    from kb.services.identity import SYSTEM
    from kb.services.status import status_get

    status = status_get(SYSTEM)
    width = max(len(line.label) for _title, lines in status.sections for line in lines)
    for title, lines in status.sections:
        click.echo(title)
        for line in lines:
            mark = "!" if line.problem else " "
            click.echo(f" {mark} {line.label.ljust(width)}  {line.value}")
    sys.exit(1 if status.problems else 0)


def _print_rows(rows: Sequence[tuple[str, ...]], empty: str) -> None:
    """A plain table whose first row is the header; every cell printed whole."""
    if len(rows) == 1:
        click.echo(empty)
        return
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for i, row in enumerate(rows):
        click.echo("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip())
        if i == 0:
            click.echo("  ".join("-" * w for w in widths))


@main.group("user")
def user_group():
    """Manage accounts."""


@user_group.command("list")
@with_appcontext
def user_list_command():
    """List the accounts with their site-wide role and organizations."""
    from kb.services.accounts import users_list
    from kb.services.identity import SYSTEM

    _require_database()
    rows = [("email", "name", "role", "confirmed", "organizations")]
    for user in _report(lambda: users_list(SYSTEM)):
        orgs = ", ".join(f"{m.organization.slug} ({m.role})" for m in user.memberships)
        rows.append((user.email, user.name, user.site_role,
                     "yes" if user.is_verified else "no", orgs))
    _print_rows(rows, "No accounts yet: create one with `kb user create EMAIL`.")


@user_group.command("create")
@click.argument("email")
@click.option("--name", default="", help="Display name.")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True,
              help="Password (asked for when not given).")
@click.option("--role", type=click.Choice(["none", "global_moderator", "admin"]),
              default="none", show_default=True, help="Site-wide role.")
@with_appcontext
def user_create_command(email, name, password, role):
    """Create a confirmed account."""
    from kb.bootstrap import init_database
    from kb.services.accounts import user_create
    from kb.services.identity import SYSTEM

    init_database(seed=False)
    user = _report(lambda: user_create(SYSTEM, email, name, password, role))
    click.echo(f"Created {user.email} ({role})")


@user_group.command("set-role")
@click.argument("email")
@click.argument("role", type=click.Choice(["none", "global_moderator", "admin"]))
@with_appcontext
def user_set_role_command(email, role):
    """Give an account a site-wide role (none, global_moderator or admin)."""
    from kb.services.accounts import user_set_role
    from kb.services.identity import SYSTEM

    _report(lambda: user_set_role(SYSTEM, email, role))
    click.echo(f"{email} is now {role}")


@main.group("org")
def org_group():
    """Manage organizations."""


@org_group.command("list")
@with_appcontext
def org_list_command():
    """List the organizations with their slug, kind and country."""
    from kb.services.identity import SYSTEM
    from kb.services.organizations import organizations_all

    _require_database()
    rows = [("slug", "name", "kind", "country")]
    for org in _report(lambda: organizations_all(SYSTEM)):
        rows.append((org.slug, org.name, org.kind or "", org.country or ""))
    _print_rows(rows, "No organizations yet: create one with `kb org create NAME`.")


@org_group.command("create")
@click.argument("name")
@click.option("--kind", type=click.Choice(["city", "municipality", "region", "agency",
                                           "association", "other"]), default="city",
              show_default=True)
@click.option("--country", help="ISO 3166-1 alpha-2 code.")
@click.option("--region")
@click.option("--population", type=int)
@with_appcontext
def org_create_command(name, kind, country, region, population):
    """Create an organization."""
    from kb.services.identity import SYSTEM
    from kb.services.organizations import org_create

    org = _report(lambda: org_create(SYSTEM, name, kind, country, region, population))
    click.echo(f"Created organization {org.slug}")


@org_group.command("add-member")
@click.argument("organization")
@click.argument("email")
@click.option("--role", type=click.Choice(["contributor", "admin"]), default="contributor",
              show_default=True)
@with_appcontext
def org_add_member_command(organization, email, role):
    """Let an existing account act for an organization (by its slug)."""
    from kb.services.identity import SYSTEM
    from kb.services.organizations import membership_add

    _report(lambda: membership_add(SYSTEM, organization, email, role))
    click.echo(f"{email} acts for {organization} as {role}")


@main.group("network")
def network_group():
    """Manage networks of organizations."""


@network_group.command("list")
@with_appcontext
def network_list_command():
    """List the networks with their member organizations."""
    from kb.services.identity import SYSTEM
    from kb.services.organizations import networks_list

    _require_database()
    rows = [("slug", "name", "members")]
    for network in _report(lambda: networks_list(SYSTEM)):
        rows.append((network.slug, network.name,
                     ", ".join(sorted(m.organization.slug for m in network.members))))
    _print_rows(rows, "No networks yet: create one with `kb network create SLUG NAME`.")


@main.group("practice")
def practice_group():
    """Take published practices off the site and put them back."""


@practice_group.command("archive")
@click.argument("slug")
@click.option("--comment", default="", help="Why it is archived (kept in the audit log).")
@with_appcontext
def practice_archive_command(slug, comment):
    """Archive a published practice: it leaves search and lists; its address says so."""
    from kb.services.editorial import practice_archive
    from kb.services.identity import SYSTEM
    from kb.services.readmodel.catchup import START_SIMILAR, read_model_catch_up
    from kb.services.search import search_catch_up

    _require_database()
    _report(lambda: practice_archive(SYSTEM, slug, comment))
    search_catch_up()
    read_model_catch_up(similar_upto=START_SIMILAR)  # a large backlog: the applier
    click.echo(f"Archived {slug} (undo with `kb practice restore {slug}`)")


@practice_group.command("restore")
@click.argument("slug")
@with_appcontext
def practice_restore_command(slug):
    """Publish an archived practice again."""
    from kb.services.editorial import practice_restore
    from kb.services.identity import SYSTEM
    from kb.services.readmodel.catchup import START_SIMILAR, read_model_catch_up
    from kb.services.search import search_catch_up

    _require_database()
    _report(lambda: practice_restore(SYSTEM, slug))
    search_catch_up()
    read_model_catch_up(similar_upto=START_SIMILAR)  # a large backlog: the applier
    click.echo(f"Restored {slug}")


@network_group.command("create")
@click.argument("slug")
@click.argument("name")
@click.option("--description", default="")
@with_appcontext
def network_create_command(slug, name, description):
    """Create a network with the address /networks/SLUG."""
    from kb.services.identity import SYSTEM
    from kb.services.organizations import network_create

    _report(lambda: network_create(SYSTEM, name, slug, description))
    click.echo(f"Created network {slug}")


@network_group.command("add-member")
@click.argument("network")
@click.argument("organization")
@with_appcontext
def network_add_member_command(network, organization):
    """Add an organization (by slug) to a network."""
    from kb.services.identity import SYSTEM
    from kb.services.organizations import network_add_member

    _report(lambda: network_add_member(SYSTEM, network, organization))
    click.echo(f"{organization} is a member of {network}")


@network_group.command("add-moderator")
@click.argument("network")
@click.argument("email")
@with_appcontext
def network_add_moderator_command(network, email):
    """Make an account a moderator of a network."""
    from kb.services.identity import SYSTEM
    from kb.services.organizations import network_set_moderator

    _report(lambda: network_set_moderator(SYSTEM, network, email, True))
    click.echo(f"{email} moderates {network}")


@main.group("mail")
def mail_group():
    """Outgoing e-mail: list the outbox, deliver what is due, resend a message."""


@mail_group.command("list")
@click.option("--pending", "status", flag_value="pending",
              help="Only messages waiting for their first or next attempt.")
@click.option("--failed", "status", flag_value="failed",
              help="Only messages whose attempts ran out.")
@click.option("--sent", "status", flag_value="sent", help="Only delivered messages.")
@click.option("--limit", default=200, show_default=True, help="Newest messages shown.")
@with_appcontext
def mail_list_command(status, limit):
    """Print the outbox, newest first: id, status, attempts, recipient, subject, last error."""
    from kb.services.identity import SYSTEM
    from kb.services.mail import mail_list, mail_status

    rows = _report(lambda: mail_list(SYSTEM, status, limit))
    click.echo(f"{len(rows)} messages")
    for row in rows:
        state = mail_status(row)
        when = row.sent_at if state == "sent" else row.next_attempt_at
        line = (f"{row.id}  {state}  attempts={row.attempts}  "
                f"{when.isoformat(sep=' ', timespec='seconds') if when else '-'}  "
                f"{row.recipient}  {row.subject}")
        if row.last_error and state != "sent":
            line += f"  [{row.last_error}]"
        click.echo(line)


@mail_group.command("send")
@click.argument("mail_id", required=False, type=int)
@with_appcontext
def mail_send_command(mail_id):
    """Deliver every due message, or resend message MAIL_ID; exits 1 when one failed."""
    from kb.services.identity import SYSTEM
    from kb.services.mail import mail_send

    result = _report(lambda: mail_send(SYSTEM, mail_id))
    click.echo(f"{len(result.sent)} sent, {len(result.failed)} failed, "
               f"{len(result.left)} left for the next run")
    sys.exit(1 if result.failed or result.left else 0)


@main.group("db")
def db_group():
    """The database schema and its migrations."""


@db_group.command("upgrade")
@with_appcontext
def db_upgrade_command():
    """Bring the database schema to this release's version, keeping every row."""
    from kb import migrations
    from kb.bootstrap import migrate_database
    from kb.db import get_db

    before = migrations.state(get_db().engine)
    migrate_database(upgrade_existing=True)
    if before.up_to_date:
        click.echo(f"Database schema is up to date ({before.head})")
    else:
        click.echo(f"Database schema upgraded from {before.shown_current} to {before.head}")


@db_group.command("current")
@with_appcontext
def db_current_command():
    """Print the database's schema version and the one this release needs."""
    from kb import migrations
    from kb.db import get_db

    state = migrations.state(get_db().engine)
    if state.up_to_date:
        click.echo(f"{state.head} (up to date)")
    else:
        click.echo(f"{state.shown_current} (this release needs {state.head}: "
                   "run kb db upgrade)")
    sys.exit(0 if state.up_to_date else 1)


@main.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True)
@click.option("--production", is_flag=True,
              help="Serve with gunicorn and the settings of kb/serving.py (workers from "
                   "WEB_CONCURRENCY, default 2) instead of the development server.")
@with_appcontext
def serve_command(host: str, port: int, production: bool):
    """Run the development server, initializing an empty installation first."""
    from werkzeug.serving import run_simple

    from kb.bootstrap import ensure_ready

    _require_free_port(host, port)
    if production:
        _exec_gunicorn(host, port)
    with _Progress("First start: importing practices") as bar:
        ensure_ready(on_total=bar.start, on_file=bar.step)
    click.echo(f"Serving the practice exchange at http://{host}:{port}/")
    # the application behind the current_app proxy; werkzeug's proxy type does not show it
    run_simple(host, port, current_app._get_current_object(),  # type: ignore[attr-defined]
               threaded=True,
               use_reloader=False)


def _exec_gunicorn(host: str, port: int) -> None:
    """Replace this process by gunicorn serving the portal (signals then reach gunicorn)."""
    import importlib.util
    import os

    if importlib.util.find_spec("gunicorn") is None:
        click.echo("Error: gunicorn is not installed: pip install 'practice-exchange[server]'",
                   err=True)
        sys.exit(1)
    current_app.extensions["kb.db"].dispose()
    bind = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    args = [sys.executable, "-m", "gunicorn", "--config", "python:kb.serving",
            "--bind", bind, "kb:create_app()"]
    click.echo(f"Serving the practice exchange with gunicorn at http://{bind}/")
    sys.stdout.flush()
    sys.stderr.flush()
    os.execv(sys.executable, args)


def _require_free_port(host: str, port: int) -> None:
    """Refuse at once when another program already listens on the address."""
    import errno
    import socket

    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        click.echo(f"Error: cannot serve on {host}: {exc.strerror}", err=True)
        sys.exit(1)
    family, _type, _proto, _name, address = infos[0]
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                click.echo(f"Error: address in use: another program already serves "
                           f"http://{host}:{port}/ (stop it, or choose another --port)",
                           err=True)
            else:
                click.echo(f"Error: cannot serve on {host}:{port}: {exc.strerror}", err=True)
            sys.exit(1)


if __name__ == "__main__":
    main()

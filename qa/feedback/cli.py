"""`esgqa feedback export|stats`. `qa/cli.py` calls `register(app, get_settings)`.

Exit codes: 0 done; 2 bad option, no store, unreadable store, or an output file that cannot be
written (one line on stderr, nothing written: `-o FILE` appears whole or not at all).
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
from collections.abc import Callable
from dataclasses import asdict
from enum import StrEnum
from pathlib import Path

import typer

from qa.config import Settings

from . import open_feedback_store
from .errors import FeedbackRefused
from .export import WRITERS, parse_since
from .sqlite import SqliteFeedbackStore


class Format(StrEnum):
    jsonl = "jsonl"
    csv = "csv"


def _fail(message: str) -> None:
    typer.secho(f"error: {message}", err=True, fg=typer.colors.RED)
    raise typer.Exit(2)


def _open(settings: Settings) -> SqliteFeedbackStore:
    store = open_feedback_store(settings)
    try:
        return store.open_existing()
    except FeedbackRefused as exc:
        _fail(str(exc))
        raise  # unreachable: _fail exits


def _write(store: SqliteFeedbackStore, since: str | None, fmt: Format, output: Path | None) -> int:
    start = parse_since(since) if since is not None else None
    entries = store.export(start)
    writer = WRITERS[fmt.value]
    if output is None or str(output) == "-":
        return writer(entries, sys.stdout)
    tmp = output.with_name(f".{output.name}.{os.getpid()}.tmp")
    try:
        with tmp.open("w", encoding="utf-8", newline="") as fh:
            n = writer(entries, fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, output)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    return n


def register(app: typer.Typer, get_settings: Callable[[], Settings]) -> None:
    """Adds the `feedback` command group to `app`."""
    group = typer.Typer(no_args_is_help=True, help="The feedback store (ESGQA_FEEDBACK_PATH): export, statistics.")
    app.add_typer(group, name="feedback")

    @group.command("export")
    def export_cmd(
        since: str | None = typer.Option(
            None, "--since", help="Only entries recorded from this UTC ISO date or time, e.g. 2026-01-31 or "
            "2026-01-31T12:00Z."),
        fmt: Format = typer.Option(Format.jsonl, "--format", help="jsonl (exact) or csv (spreadsheets)."),  # noqa: B008
        output: Path | None = typer.Option(None, "-o", "--output", help="Write here (atomically); default stdout."),  # noqa: B008
    ) -> None:
        """Every stored feedback entry, oldest first, with its id and client."""
        if since is not None:
            try:
                parse_since(since)
            except ValueError:
                _fail(f"--since must be an ISO date or date-time, e.g. 2026-01-31 or 2026-01-31T12:00Z (got {since[:40]!r})")
        if output is not None and str(output) != "-" and output.is_dir():
            _fail(f"cannot write {output}: it is a directory")
        store = _open(get_settings())
        try:
            n = _write(store, since, fmt, output)
        except FeedbackRefused as exc:
            _fail(str(exc))
        except OSError as exc:
            _fail(f"cannot write {output}: {exc.strerror or exc}")
        finally:
            store.close()
        if output is not None and str(output) != "-":
            typer.echo(f"exported {n} feedback entr{'y' if n == 1 else 'ies'} to {output}", err=True)

    @group.command("stats")
    def stats_cmd(as_json: bool = typer.Option(False, "--json", help="One JSON object.")) -> None:
        """Entries, size against the caps, helpful share by source, the busiest clients of the last day."""
        store = _open(get_settings())
        try:
            stats = store.stats()
        except FeedbackRefused as exc:
            _fail(str(exc))
        finally:
            store.close()
        if as_json:
            typer.echo(json.dumps({**asdict(stats), "used": round(stats.used, 6), "path": str(store.path)}))
            return
        typer.echo(f"store       {store.path}")
        typer.echo(f"entries     {stats.entries} of {stats.max_entries or 'unlimited'}")
        typer.echo(f"bytes       {stats.bytes} of {stats.max_bytes or 'unlimited'} ({stats.used:.1%} full)")
        typer.echo(f"first, last {stats.first_ts or '-'}, {stats.last_ts or '-'}")
        for source, (n, helpful) in stats.by_source.items():
            typer.echo(f"{source:11} {n} entries, {helpful} helpful ({helpful / n:.0%})")
        typer.echo(f"last 24 h   {stats.last_day} entries")
        for client, n in stats.top_clients_day:
            typer.echo(f"  {n:6}  {client}")

"""The `lerassist` command: thin wrappers over the library, one Assistant per process."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import click

from .content import ContentError
from .index import IndexUnavailable
from .settings import Settings


def _settings(content: str | None, **overrides) -> Settings:
    return Settings.from_env(content_dir=Path(content) if content else None, **overrides)


content_option = click.option(
    "--content", type=click.Path(file_okay=False), help="Content folder (default: the project's content/)."
)


@click.group()
@click.version_option(package_name="lerassist")
def cli():
    """Ask the LER Ecosystem Map questions and get answers that cite the map."""


def _fail(err: Exception):
    click.echo(f"Error: {err}", err=True)
    sys.exit(1)


@cli.command()
@content_option
def build(content):
    """Build (or rebuild) the index for the content folder."""
    from .embedding import Embedder
    from .index import build as build_index

    settings = _settings(content)
    started = time.perf_counter()
    try:
        manifest = build_index(settings, Embedder.shared(settings.model_path))
    except (ContentError, IndexUnavailable) as err:
        _fail(err)
    click.echo(
        f"Built {manifest.passages} passages from {settings.content_dir} in "
        f"{time.perf_counter() - started:.1f}s (build {manifest.build_id})."
    )


@cli.command()
@click.argument("question")
@click.option("--stakeholder", help="Answer from one stakeholder's page (a slug such as employers).")
@click.option("--json", "as_json", is_flag=True, help="Print the answer object as JSON.")
@content_option
def ask(question, stakeholder, as_json, content):
    """Answer QUESTION from the map, with numbered citations."""
    from .answer import Assistant, QuestionError

    try:
        answer = Assistant(_settings(content)).ask(question, stakeholder=stakeholder)
    except (QuestionError, ContentError, IndexUnavailable) as err:
        _fail(err)
    click.echo(json.dumps(answer.to_dict(), indent=2, ensure_ascii=False) if as_json else answer.render())


@cli.command("eval")
@click.argument("questions_file", type=click.Path(exists=True, dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print the metrics as one JSON object.")
@content_option
def eval_command(questions_file, as_json, content):
    """Score the assistant on a question set (YAML)."""
    from .answer import Assistant
    from .evaluate import format_report, load_questions, run

    try:
        questions = load_questions(Path(questions_file))
        report = run(Assistant(_settings(content)), questions)
    except (ValueError, ContentError, IndexUnavailable) as err:
        _fail(err)
    click.echo(json.dumps(report.metrics, indent=2) if as_json else format_report(report))


@cli.command("import-map")
@click.argument("source", type=click.Path(exists=True, file_okay=False))
@click.option("--out", required=True, type=click.Path(file_okay=False), help="Folder to write the pages into (new, empty, or an earlier import).")
def import_map(source, out):
    """Import a checkout of the map's own repository (SOURCE) into the content format, in the map's words."""
    from .importer import MapSourceError
    from .importer import import_map as run_import

    try:
        result = run_import(Path(source), Path(out))
    except MapSourceError as err:
        _fail(err)
    for warning in result.warnings:
        click.echo(f"Warning: {warning}", err=True)
    click.echo(f"{result.summary()} Wrote {out}.")


@cli.command()
@click.option("--against", required=True, type=click.Path(exists=True, file_okay=False), help="A checkout of the map's repository.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary and every problem as JSON.")
@content_option
def coverage(against, as_json, content):
    """Check that the content folder states every fact of the map and nothing else (exit 1 if not)."""
    from .coverage import check, format_report
    from .embedding import Embedder
    from .importer import MapSourceError

    settings = _settings(content)
    try:
        report = check(settings.content_dir, Path(against), Embedder.shared(settings.model_path))
    except (MapSourceError, ContentError) as err:
        _fail(err)
    click.echo(json.dumps(report.to_dict(), indent=2, ensure_ascii=False) if as_json else format_report(report, settings.content_dir, Path(against)))
    sys.exit(0 if report.passed else 1)


if __name__ == "__main__":
    cli()

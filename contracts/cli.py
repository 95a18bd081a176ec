"""`contracts`: the commands that read contracts alone, with no mock and no implementation."""

from __future__ import annotations

from pathlib import Path

import click

from contracts.diff import diff
from contracts.diff_report import FAIL_ON, FORMATS, FailOn, Format, fails, render
from contracts.drift_command import drift
from contracts.loading import available, path
from contracts.revisions import RevisionError, at_ref, read
from contracts.sources import SHIPPED_SOURCES, check_quotes

__all__ = ["main"]


@click.group()
@click.version_option(package_name="workflow-api-contracts", prog_name="contracts")
def main() -> None:
    """Work with the OpenAPI contracts: list them, compare versions, check them against traffic."""


@main.command("list")
def list_shipped() -> None:
    """The contracts that ship with the package, and where each lives."""
    for name in available():
        click.echo(f"{name:<10} {path(name)}")


@main.command("diff")
@click.argument("old")
@click.argument("new", required=False)
@click.option("--base", metavar="REF", help="Compare OLD with its own version at this git ref "
              "(then NEW is not given): `git show REF:contracts/OLD.yaml`.")
@click.option("--format", "output", type=click.Choice(FORMATS), default="text",
              show_default=True, help="markdown: a table per class, for a CI step summary.")
@click.option("--fail-on", type=click.Choice(FAIL_ON), default="any", show_default=True,
              help="Exit 1 on breaking changes of this kind: any, client (breaks existing "
              "clients), implementation (an old implementation no longer conforms), none.")
def diff_command(old: str, new: str | None, base: str | None, output: Format,
                 fail_on: FailOn) -> None:
    """Every change from OLD to NEW (shipped names or paths), classified by who it breaks."""
    if (new is None) == (base is None):
        raise click.UsageError("give OLD and NEW, or one contract and --base REF")
    try:
        if base is not None:
            before, after, labels = at_ref(old, base), read(old), (f"{old}@{base}", old)
        else:
            before, after, labels = read(old), read(str(new)), (old, str(new))
    except RevisionError as error:
        raise click.UsageError(str(error)) from None
    changes = diff(before, after)
    click.echo(render(changes, output, *labels))
    if fails(changes, fail_on):
        raise SystemExit(1)


@main.command("sources")
@click.argument("contract")
@click.option("--source-dir", type=click.Path(file_okay=False, path_type=Path),
              help="Read the cited documents from here (a re-fetched copy) instead of the "
              "shipped contracts/sources/.")
@click.option("--source", "overrides", multiple=True, metavar="DOC=PATH",
              help="Read one cited document from PATH (repeatable).")
def sources_command(contract: str, source_dir: Path | None, overrides: tuple[str, ...]) -> None:
    """Check that every x-source quote of CONTRACT still occurs in the document it cites."""
    try:
        document = read(contract, resolve=False)
    except RevisionError as error:
        raise click.UsageError(str(error)) from None
    if source_dir is not None and not source_dir.is_dir():
        raise click.BadParameter(f"{source_dir} is not a directory", param_hint="--source-dir")
    files = {}
    for entry in overrides:
        doc, _, file = entry.partition("=")
        if not doc or not file:
            raise click.BadParameter(f"{entry!r}: expected DOC=PATH", param_hint="--source")
        if not Path(file).is_file():
            raise click.BadParameter(f"{file} is not a file", param_hint="--source")
        files[doc] = Path(file)
    cited, problems = check_quotes(document, source_dir or SHIPPED_SOURCES, files)
    for problem in problems:
        click.echo(str(problem))
    docs = len({quote.doc for quote in cited})
    click.echo(f"{contract}: {len(cited)} quote(s) from {docs} document(s), "
               f"{len(problems)} without basis")
    if problems:
        raise SystemExit(1)


main.add_command(drift)

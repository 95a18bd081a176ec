"""`conformance replay`: judge a recording offline; exit 0, 1 or 2 like `conformance run`."""

from __future__ import annotations

import sys
from pathlib import Path

import click

import contracts
from conformance import report as reports
from conformance.options import RunOptions
from conformance.replay import judge_recording
from contracts.recording import RecordingError

__all__ = ["replay_command"]

CONFORMS, VIOLATES, UNUSABLE = 0, 1, 2


@click.command("replay")
@click.argument("recording", type=click.Path(path_type=Path))
@click.argument("contract")
@click.option("--junit-xml", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--report", type=click.Path(dir_okay=False, path_type=Path),
              help="Write a Markdown summary (e.g. $GITHUB_STEP_SUMMARY).")
def replay_command(recording: Path, contract: str, junit_xml: Path | None,
                   report: Path | None) -> None:
    """Judge RECORDING (a `--record` directory or a .har file) against CONTRACT."""
    try:
        contracts.path(contract)
        results = judge_recording(recording, contract)
    except (LookupError, RecordingError) as error:
        click.echo(f"error: {error}", err=True)
        sys.exit(UNUSABLE)
    options = RunOptions(contract=contract, base_url=f"recording {recording}", profile="quick")
    click.echo(f"Replaying {recording} against {contract}")
    click.echo("")
    click.echo(reports.summary_table(results))
    for finding in results.findings:
        click.echo("")
        click.echo(reports.describe(finding))
    for note in results.notes:
        click.echo(f"note: {note}")
    if junit_xml:
        junit_xml.write_text(reports.junit_xml(results, options), encoding="utf-8")
    if report:
        report.write_text(reports.markdown(results, options), encoding="utf-8")
    click.echo("")
    click.echo("CONFORMS" if results.ok else f"{len(results.findings)} VIOLATION(S)")
    sys.exit(CONFORMS if results.ok else VIOLATES)

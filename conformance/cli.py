"""`conformance run`: check an implementation against a contract; exit 0, 1 or 2 for CI."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from pydantic import ValidationError

import contracts
from conformance import report as reports
from conformance.options import RunOptions
from conformance.replay_command import replay_command
from conformance.runner import FAMILIES, run
from conformance.target import TargetError
from conformance.transport import parse_rate

__all__ = ["main"]

CONFORMS, VIOLATES, UNUSABLE = 0, 1, 2


@click.group()
def main() -> None:
    """Check any implementation of an AI-workflow API against its contract."""


@main.command("run")
@click.argument("contract")
@click.option("--base-url", required=True, help="Where the implementation serves the paths.")
@click.option("--client-id", envvar="CONFORMANCE_CLIENT_ID", help="OAuth2 client id.")
@click.option("--client-secret", envvar="CONFORMANCE_CLIENT_SECRET", help="OAuth2 secret.")
@click.option("--token", envvar="CONFORMANCE_TOKEN", help="Bearer token or API key.")
@click.option("--other-token", envvar="CONFORMANCE_OTHER_TOKEN",
              help="A second tenant's token, to check isolation.")
@click.option("--other-client-id", envvar="CONFORMANCE_OTHER_CLIENT_ID",
              help="A second tenant's OAuth2 client id, to check isolation.")
@click.option("--other-client-secret", envvar="CONFORMANCE_OTHER_CLIENT_SECRET",
              help="A second tenant's OAuth2 secret.")
@click.option("--param", "params", multiple=True, metavar="NAME=VALUE",
              help="A path parameter that must be real on the server (repeatable).")
@click.option("--profile", type=click.Choice(["quick", "standard", "deep"]), default="standard",
              show_default=True)
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--checks", default="", help=f"Comma-separated subset of: {', '.join(FAMILIES)}.")
@click.option("--fast-forward", is_flag=True,
              help="The target is this project's mock: move its clock instead of waiting.")
@click.option("--control-url", help="The mock's control API (default <scheme://host>/__mock__).")
@click.option("--time-budget", type=float, default=600.0, show_default=True,
              help="Seconds a run may take to reach a final state.")
@click.option("--rate-limit", metavar="N/s",
              help="Send at most this many requests per second (or N/m, N/h).")
@click.option("--max-requests", type=click.IntRange(min=1),
              help="Stop after this many requests; families not reached are not exercised.")
@click.option("--max-throttled", type=click.IntRange(min=0),
              help="Fail when more requests than this stay refused with 429/503 after every "
              "retry (default: report them and judge none; fail only if the throttling stopped "
              "a family).")
@click.option("--webhooks", is_flag=True, help="Also check webhooks: a receiver on 127.0.0.1 "
              "subscribes and every run that ends must be notified, signed, as declared.")
@click.option("--webhook-secret", help="The secret callback deliveries are signed with, where a "
              "create request names its webhook URL (default: asked of the mock's control API).")
@click.option("--junit-xml", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--report", type=click.Path(dir_okay=False, path_type=Path),
              help="Append a Markdown summary (e.g. to $GITHUB_STEP_SUMMARY).")
def run_command(contract: str, base_url: str, client_id: str | None, client_secret: str | None,
                token: str | None, other_token: str | None, other_client_id: str | None,
                other_client_secret: str | None, params: tuple[str, ...],
                profile: str, seed: int, checks: str, fast_forward: bool,
                control_url: str | None, time_budget: float, rate_limit: str | None,
                max_requests: int | None, max_throttled: int | None, webhooks: bool,
                webhook_secret: str | None,
                junit_xml: Path | None, report: Path | None) -> None:
    """Check the implementation at --base-url against CONTRACT (a name or a path)."""
    try:
        contracts.path(contract)
        parameters = dict(_pair(p) for p in params)
        options = RunOptions(
            contract=contract, base_url=base_url, client_id=client_id,
            client_secret=client_secret, token=token, other_token=other_token,
            other_client_id=other_client_id, other_client_secret=other_client_secret,
            parameters=parameters, profile=profile, seed=seed,
            checks=[c.strip() for c in checks.split(",") if c.strip()]
            + (["webhooks"] if webhooks and checks and "webhooks" not in checks else []),
            fast_forward=fast_forward, control_url=control_url, time_budget=time_budget,
            rate_limit=parse_rate(rate_limit) if rate_limit else None, max_requests=max_requests,
            max_throttled=max_throttled,
            webhooks=webhooks, webhook_secret=webhook_secret)
    except (LookupError, ValueError, ValidationError) as error:
        click.echo(f"error: {error}", err=True)
        sys.exit(UNUSABLE)
    click.echo(f"Checking {base_url} against {contract} ({profile}, seed {seed})")
    try:
        results = run(options, progress=click.echo)
    except (TargetError, ValueError) as error:
        click.echo(f"error: {error}", err=True)
        sys.exit(UNUSABLE)
    click.echo("")
    click.echo(reports.summary_table(results))
    for finding in results.findings:
        click.echo("")
        click.echo(reports.describe(finding))
    if junit_xml:
        junit_xml.write_text(reports.junit_xml(results, options), encoding="utf-8")
    if report:
        with report.open("a", encoding="utf-8") as summary:
            summary.write(reports.markdown(results, options))
    click.echo(f"\n{results.transport.sent} requests; " + "\n".join(reports.throttling(results)))
    click.echo("")
    click.echo(reports.verdict(results))
    sys.exit(CONFORMS if results.ok else VIOLATES)


main.add_command(replay_command)


@main.command("checks")
def list_checks() -> None:
    """List the check families."""
    for name, family in FAMILIES.items():
        click.echo(f"{name:<10} {family.description}")


def _pair(text: str) -> tuple[str, str]:
    name, sep, value = text.partition("=")
    if not sep or not name:
        raise ValueError(f"--param takes NAME=VALUE, got {text!r}")
    return name, value

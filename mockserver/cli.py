"""`mockserver serve`: the mock on gunicorn, with one access-log line per request."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click
import yaml

import contracts
from mockserver.config import MockConfig
from mockserver.storage import RedisStore, StoreUnavailable, is_redis_url, shown
from mockserver.web.server import DEFAULT_THREADS, DEFAULT_WORKERS

__all__ = ["build_config", "lint", "list_contracts", "main", "serve"]


@click.group()
def main() -> None:
    """A stateful mock of AI-workflow execution APIs, driven by their OpenAPI contracts."""


@main.command()
@click.argument("contract_names", metavar="[CONTRACT]...", nargs=-1)
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8080, show_default=True, type=int)
@click.option("--seed", type=int, help="Seed for results, durations and faults (default 0).")
@click.option("--store", help="SQLite file for state, 'memory', or a Redis URL that several "
              "replicas share: redis://HOST:PORT/DB or rediss://... (?prefix=NAME to keep "
              "mocks sharing one Redis apart). [default: mockserver-state.sqlite3]")
@click.option("--config", "config_file", type=click.Path(exists=True, dir_okay=False,
              path_type=Path), help="YAML file with any MockConfig setting.")
@click.option("--workers", default=DEFAULT_WORKERS, show_default=True, type=int,
              help="Worker processes.")
@click.option("--threads", default=DEFAULT_THREADS, show_default=True, type=int,
              help="Threads per worker: each request in progress, also one held by an injected "
              "delay, takes one.")
@click.option("--polls", type=int, help="Runs finish after this many polls instead of time.")
@click.option("--fault-rate", type=float, help="Share of requests that get an injected fault.")
@click.option("--failure-rate", type=float, help="Share of runs that end in failure.")
def serve(contract_names: tuple[str, ...], host: str, port: int, seed: int | None,
          store: str | None, config_file: Path | None, workers: int, threads: int,
          polls: int | None, fault_rate: float | None, failure_rate: float | None) -> None:
    """Serve CONTRACT(s) — names (see `mockserver contracts`) or paths; all by default."""
    try:
        config = build_config(config_file, contract_names, seed, store, polls, fault_rate,
                              failure_rate)
        from mockserver.mock import Mock

        mock = Mock(config.model_copy(update={"store": "memory"}))  # workers open the real store
    except (ValueError, LookupError, OSError, yaml.YAMLError) as error:
        raise click.UsageError(str(error)) from error
    if is_redis_url(config.store):
        try:  # here, once, rather than in every worker as it starts
            RedisStore.from_url(str(config.store)).check()
        except (StoreUnavailable, ValueError) as error:  # unreachable, or a malformed URL
            click.echo(f"Error: {error}", err=True)
            sys.exit(2)
    if config.store == "memory" and workers > 1:
        click.echo("note: the in-memory store is per process; using 1 worker", err=True)
        workers = 1
    base = f"http://{host}:{port}"
    click.echo(f"Mock server on {base}  (store: {shown(config.store)}, seed: {config.seed})")
    for name, runtime in mock.vendors.items():
        credentials = runtime.vendor.auth.credentials
        vendor_base = base + mock.mount_prefix(name)
        title = runtime.contract.extensions.vendor.name
        click.echo(f"  {title:<12} {vendor_base}   docs: {vendor_base}/docs")
        for client_id, secret in credentials.clients.items():
            click.echo(f"      client_id={client_id}  client_secret={secret}")
        for key in credentials.keys:
            click.echo(f"      Authorization: Bearer {key}")
        if runtime.contract.security_schemes and not (credentials.clients or credentials.keys):
            click.echo("      no credentials: every secured request gets 401. Declare "
                       "`x-demo-credentials` in the contract or `credentials` in --config")
    click.echo(f"  Control API  {base}/__mock__/")
    if mock.sends_webhooks:
        click.echo(f"  Webhooks     subscribe: POST {base}/__mock__/webhooks/subscriptions")
    sys.stdout.flush()
    from mockserver.web import server
    from mockserver.web.app import create_app

    def build() -> Any:
        app = create_app(config)
        app.extensions["mockserver"].start_dispatcher()  # each worker sends due webhooks
        return app

    server.run(build, host=host, port=port, workers=workers, threads=threads)


@main.command("lint")
@click.argument("contract_names", metavar="CONTRACT...", nargs=-1, required=True)
def lint(contract_names: tuple[str, ...]) -> None:
    """Check CONTRACT(s) (names or paths) for authoring mistakes; exit 2 if any has one."""
    failed = False
    for name in contract_names:
        try:
            problems = contracts.lint(name)
        except LookupError as error:
            problems = [contracts.Problem(place=name, message=str(error).strip("'\""))]
        for problem in problems:
            click.echo(f"{name}: {problem}", err=True)
        if not problems:
            click.echo(f"{name}: ok")
        failed = failed or bool(problems)
    if failed:
        sys.exit(2)


@main.command("contracts")
def list_contracts() -> None:
    """List the contracts that ship with the mock."""
    for name in contracts.available():
        click.echo(f"{name:<10} {contracts.path(name)}")


def build_config(config_file: Path | None, contract_names: tuple[str, ...], seed: int | None,
                 store: str | None, polls: int | None, fault_rate: float | None,
                 failure_rate: float | None) -> MockConfig:
    """A `MockConfig` from a config file and the options that override it."""
    settings: dict[str, Any] = {}
    if config_file is not None:
        settings = yaml.safe_load(config_file.read_text(encoding="utf-8")) or {}
    for name in contract_names:
        contracts.path(name)  # fail early, with the list of names, on a typo
    if contract_names:
        settings["contracts"] = list(contract_names)
    if seed is not None:
        settings["seed"] = seed
    settings["store"] = store or settings.get("store") or "mockserver-state.sqlite3"
    timing = settings.setdefault("timing", {})
    if polls is not None:
        timing["polls"] = polls
    if failure_rate is not None:
        timing["failure_rate"] = failure_rate
    if fault_rate is not None:
        settings.setdefault("faults", {})["rate"] = fault_rate
    return MockConfig.model_validate(settings)

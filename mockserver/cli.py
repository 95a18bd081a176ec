"""`mockserver serve`: the mock on granian or gunicorn, with one access-log line per request."""

from __future__ import annotations

import functools
import sys
from pathlib import Path
from typing import Any

import click
import yaml
from pydantic import ValidationError

import contracts
from contracts import recording
from mockserver.config import MockConfig
from mockserver.proxy.cli import proxy
from mockserver.storage import RedisStore, StoreUnavailable, is_redis_url, shown
from mockserver.web.server import DEFAULT_SERVER, DEFAULT_THREADS, DEFAULT_WORKERS, SERVERS, Server

__all__ = ["Refusal", "build_config", "lint", "list_contracts", "main", "serve"]


@click.group()
@click.version_option(package_name="workflow-api-contracts", prog_name="mockserver")
def main() -> None:
    """A stateful mock of AI-workflow execution APIs, driven by their OpenAPI contracts."""


@main.command()
@click.argument("contract_names", metavar="[CONTRACT]...", nargs=-1)
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8080, show_default=True, type=click.IntRange(0, 65535),
              help="0: any free port (the one bound is printed).")
@click.option("--seed", type=int, help="Seed for results, durations and faults (default 0).")
@click.option("--store", help="SQLite file for state, 'memory', or a Redis URL that several "
              "replicas share: redis://HOST:PORT/DB or rediss://... (?prefix=NAME to keep "
              "mocks sharing one Redis apart). [default: mockserver-state.sqlite3]")
@click.option("--config", "config_file", type=click.Path(exists=True, dir_okay=False,
              path_type=Path), help="YAML file with any MockConfig setting.")
@click.option("--workers", default=DEFAULT_WORKERS, show_default=True,
              type=click.IntRange(min=1), help="Worker processes.")
@click.option("--threads", default=DEFAULT_THREADS, show_default=True,
              type=click.IntRange(min=1),
              help="Threads per worker: each request in progress, also one held by an injected "
              "delay, takes one.")
@click.option("--server", "server_name", type=click.Choice(SERVERS), default=DEFAULT_SERVER,
              show_default=True, help="The HTTP server: granian (Rust) or gunicorn (gthread).")
@click.option("--polls", type=int, help="Runs finish after this many polls instead of time.")
@click.option("--fault-rate", type=float, help="Share of requests that get an injected fault.")
@click.option("--failure-rate", type=float, help="Share of runs that end in failure.")
@click.option("--client", "clients", multiple=True, metavar="VENDOR=ID:SECRET",
              envvar="MOCKSERVER_CLIENTS",
              help="An OAuth2 client a vendor accepts instead of its demo ones (repeatable; "
              "env MOCKSERVER_CLIENTS, space-separated).")
@click.option("--key", "keys", multiple=True, metavar="VENDOR=KEY", envvar="MOCKSERVER_KEYS",
              help="An API key a vendor accepts instead of its demo ones (repeatable; env "
              "MOCKSERVER_KEYS, space-separated).")
@click.option("--from-recording", type=click.Path(path_type=Path),
              help="Answer requests a recording (`mockserver proxy --record`) holds with the "
              "recorded answers first, however they reach the vendor (mount prefix, real "
              "Host header, or the root when it is the only vendor).")
@click.version_option(package_name="workflow-api-contracts", prog_name="mockserver")
def serve(contract_names: tuple[str, ...], host: str, port: int, seed: int | None,
          store: str | None, config_file: Path | None, workers: int, threads: int,
          server_name: Server, polls: int | None, fault_rate: float | None,
          failure_rate: float | None, clients: tuple[str, ...], keys: tuple[str, ...],
          from_recording: Path | None) -> None:
    """Serve CONTRACT(s) — names (see `mockserver contracts`) or paths; all by default.

    A vendor is reached below its mount prefix, at its documented paths with its real Host
    header, and, when it is the only one served, at the root.
    """
    try:
        config = build_config(config_file, contract_names, seed, store, polls, fault_rate,
                              failure_rate, clients, keys)
        if from_recording is not None:
            config = config.model_copy(update={"recording": from_recording})
            recording.read(from_recording)  # refuse an unreadable recording before starting
    except ValidationError as error:
        raise Refusal(_one_line(error)) from None
    except (LookupError, OSError, yaml.YAMLError, contracts.ContractError,
            recording.RecordingError) as error:
        raise Refusal(_first_line(error)) from None
    from mockserver.mock import Mock

    try:
        mock = Mock(config.model_copy(update={"store": "memory"}))  # workers open the real store
    except Exception as error:  # a contract the checks above let through: say so, in one line
        raise Refusal(f"cannot serve {', '.join(config.contracts) or 'the contracts'}: "
                      f"{type(error).__name__}: {_first_line(error)}") from None
    if is_redis_url(config.store):
        try:  # here, once, rather than in every worker as it starts
            RedisStore.from_url(str(config.store)).check()
        except (StoreUnavailable, ValueError) as error:  # unreachable, or a malformed URL
            raise Refusal(_first_line(error)) from None
    from mockserver.web import server

    try:
        listener = server.listen(host, port, server_name)
    except OSError as error:
        raise Refusal(f"cannot listen on {host}:{port}: {error.strerror or error}") from None
    if config.store == "memory" and workers > 1:
        click.echo("note: the in-memory store is per process; using 1 worker", err=True)
        workers = 1
    base = f"http://{host}:{listener.getsockname()[1]}"
    _banner(mock, base, config)
    server.run(functools.partial(_worker_app, config), listener,
               server=server_name, workers=workers, threads=threads)


def _worker_app(config: MockConfig) -> Any:
    """One worker process's app, on its own connection to the store."""
    from mockserver.web.app import create_app

    app = create_app(config)
    app.extensions["mockserver"].start_dispatcher()  # each worker sends due webhooks
    return app


class Refusal(click.ClickException):
    """Why `serve` will not start, in one line, with the usage-error status 2, before anything
    is served."""

    exit_code = 2


def _banner(mock: Any, base: str, config: MockConfig) -> None:
    click.echo(f"Mock server on {base}  (store: {shown(config.store)}, seed: {config.seed})")
    for name, runtime in mock.vendors.items():
        credentials = runtime.vendor.auth.credentials
        vendor_base = base + mock.mount_prefix(name)
        title = runtime.contract.extensions.vendor.name
        click.echo(f"  {title:<12} {vendor_base}   docs: {vendor_base}/docs")
        if len(mock.vendors) == 1:
            click.echo(f"  {'':<12} {base}{runtime.contract.server_path}   (the only vendor: "
                       "its documented paths also work at the root)")
        for client_id, secret in credentials.clients.items():
            click.echo(f"      client_id={client_id}  client_secret={secret}")
        for key in credentials.keys:
            click.echo(f"      Authorization: Bearer {key}")
        if runtime.contract.security_schemes and not (credentials.clients or credentials.keys):
            click.echo("      no credentials: every secured request gets 401. Declare "
                       "`x-demo-credentials` in the contract or `credentials` in --config")
    click.echo(f"  Control API  {base}/__mock__/   health: {base}/__mock__/health")
    click.echo(f"  QA console   {base}/__mock__/ui")
    if mock.sends_webhooks:
        click.echo(f"  Webhooks     subscribe: POST {base}/__mock__/webhooks/subscriptions")
    sys.stdout.flush()


def _first_line(error: BaseException) -> str:
    """The error's text on one line (a YAML error's spans several: where, and what)."""
    text = " ".join(str(error).split()).strip("'\"")
    return text or type(error).__name__


def _one_line(error: ValidationError) -> str:
    return "invalid settings: " + "; ".join(
        f"{'.'.join(str(part) for part in e['loc'])}: {e['msg']}" for e in error.errors())


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


main.add_command(proxy)


@main.command("contracts")
def list_contracts() -> None:
    """List the contracts that ship with the mock."""
    for name in contracts.available():
        click.echo(f"{name:<10} {contracts.path(name)}")


def build_config(config_file: Path | None, contract_names: tuple[str, ...], seed: int | None,
                 store: str | None, polls: int | None, fault_rate: float | None,
                 failure_rate: float | None, clients: tuple[str, ...] = (),
                 keys: tuple[str, ...] = ()) -> MockConfig:
    """A `MockConfig` from a config file and the options that override it. Each contract is
    checked first: `contracts.ContractError` (or a YAML or OS error) names what is wrong."""
    settings: dict[str, Any] = {}
    if config_file is not None:
        settings = yaml.safe_load(config_file.read_text(encoding="utf-8")) or {}
        if not isinstance(settings, dict):
            raise LookupError(f"{config_file}: expected MockConfig settings, a YAML mapping")
    for name in contract_names:
        try:
            contracts.check(name)  # fails early: every authoring mistake with its place
        except (contracts.ContractError, yaml.YAMLError) as error:
            raise contracts.ContractError(
                f"contract {name}: {_first_line(error)} (see contracts/EXTENSIONS.md)") from None
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
    config = MockConfig.model_validate(settings)  # the file's own mistakes are named first
    if not clients and not keys:
        return config
    given = {vendor: entry.model_dump() for vendor, entry in config.credentials.items()}
    settings["credentials"] = _credentials(given, config.contracts or contracts.available(),
                                           clients, keys)
    return MockConfig.model_validate(settings)


def _credentials(given: dict[str, Any], served: list[str], clients: tuple[str, ...],
                 keys: tuple[str, ...]) -> dict[str, dict[str, Any]]:
    """The config's credentials with `--client VENDOR=ID:SECRET` and `--key VENDOR=KEY` added:
    a vendor named there accepts those instead of its demo credentials."""
    takes: dict[str, set[str]] = {}
    for name in served:
        schemes = contracts.load(name, resolve=False).get("components", {}).get(
            "securitySchemes", {})
        takes[contracts.extensions(name).vendor.id] = {s.get("type") for s in schemes.values()}
    merged: dict[str, dict[str, Any]] = {
        vendor: {"clients": dict(entry["clients"]), "keys": list(entry["keys"])}
        for vendor, entry in given.items()}
    for item in clients:
        vendor, client_id, secret = _credential(item, "--client", takes)
        merged.setdefault(vendor, {"clients": {}, "keys": []})["clients"][client_id] = secret
    for item in keys:
        vendor, key, _ = _credential(item, "--key", takes)
        merged.setdefault(vendor, {"clients": {}, "keys": []})["keys"].append(key)
    return merged


def _credential(item: str, option: str, takes: dict[str, set[str]]) -> tuple[str, str, str]:
    """(vendor, client id or key, secret) from `VENDOR=ID:SECRET` or `VENDOR=KEY`."""
    is_client = option == "--client"
    vendor, _, value = item.partition("=")
    client_id, _, secret = value.partition(":")
    if not vendor or not value or (is_client and not (client_id and secret)):
        raise LookupError(f"{option} {item!r}: expected "
                          f"{'VENDOR=ID:SECRET' if is_client else 'VENDOR=KEY'}")
    if vendor not in takes:
        raise LookupError(f"{option} {item!r}: no vendor {vendor!r} is served; served: "
                          f"{', '.join(sorted(takes))}")
    if ("oauth2" if is_client else "http") not in takes[vendor]:
        instead = "OAuth2 clients; use --key" if is_client else "API keys; use --client"
        raise LookupError(f"{option} {item!r}: {vendor} does not take {instead}")
    return (vendor, client_id, secret) if is_client else (vendor, value, "")

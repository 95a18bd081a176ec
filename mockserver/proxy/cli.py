"""`mockserver proxy`: the validation proxy on the same servers and settings as `serve`."""

from __future__ import annotations

import functools
import logging
import sys
from pathlib import Path

import click
from pydantic import ValidationError

import contracts
from mockserver.proxy.config import ProxyConfig, Route
from mockserver.web.server import DEFAULT_SERVER, DEFAULT_THREADS, DEFAULT_WORKERS, SERVERS, Server

__all__ = ["proxy"]


@click.command()
@click.argument("contract_names", metavar="CONTRACT...", nargs=-1, required=True)
@click.option("--upstream", "upstreams", multiple=True, required=True, metavar="URL",
              help="The real API's base URL, once per CONTRACT, in the same order.")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8081, show_default=True, type=int)
@click.option("--store", default="mockserver-proxy.sqlite3", show_default=True,
              help="SQLite file for the journal and the runs seen, or 'memory'.")
@click.option("--workers", default=DEFAULT_WORKERS, show_default=True, type=int)
@click.option("--threads", default=DEFAULT_THREADS, show_default=True, type=int,
              help="Threads per worker: each exchange in progress holds one.")
@click.option("--server", "server_name", type=click.Choice(SERVERS), default=DEFAULT_SERVER,
              show_default=True, help="The HTTP server: granian (Rust) or gunicorn (gthread).")
@click.option("--connect-timeout", default=5.0, show_default=True, type=float,
              help="Seconds to reach the upstream before a 504.")
@click.option("--read-timeout", default=60.0, show_default=True, type=float,
              help="Seconds the upstream may stay silent before a 504.")
@click.option("--strict-client", is_flag=True,
              help="Refuse requests that break the contract (never sent upstream).")
@click.option("--record", "record", type=click.Path(file_okay=False, path_type=Path),
              help="Record every exchange into this directory (HAR 1.2).")
@click.option("--record-body-limit", default=64 * 1024, show_default=True, type=int,
              help="Recorded bodies above this many bytes are stored by hash.")
def proxy(contract_names: tuple[str, ...], upstreams: tuple[str, ...], host: str, port: int,
          store: str, workers: int, threads: int, server_name: Server, connect_timeout: float,
          read_timeout: float, strict_client: bool, record: Path | None,
          record_body_limit: int) -> None:
    """Forward CONTRACT's traffic to --upstream and judge every exchange against CONTRACT.

    A vendor is reached as with `serve`: below its mount prefix, at its documented paths with
    its real Host header, and, when it is the only one proxied, at the root.
    """
    if len(upstreams) != len(contract_names):
        raise click.UsageError(f"give one --upstream per CONTRACT: {len(contract_names)} "
                               f"contract(s), {len(upstreams)} upstream(s)")
    try:
        for name in contract_names:
            contracts.path(name)
        config = ProxyConfig(
            routes=[Route(contract=c, upstream=u) for c, u in zip(contract_names, upstreams,
                                                                   strict=True)],
            store=store, connect_timeout=connect_timeout, read_timeout=read_timeout,
            strict_client=strict_client, record=record, record_body_limit=record_body_limit)
        from mockserver.proxy.app import ProxyApp
        from mockserver.proxy.recorder import HarWriter

        app = ProxyApp(config.model_copy(update={"store": "memory", "record": None}))
        if record is not None:
            HarWriter(record)  # refuse a directory it cannot record into before starting
    except (ValidationError, LookupError, OSError, ValueError) as error:
        raise click.UsageError(str(error)) from error
    if config.store == "memory" and workers > 1:
        click.echo("note: the in-memory store is per process; using 1 worker", err=True)
        workers = 1
    from mockserver.web import server

    try:
        listener = server.listen(host, port, server_name)
    except OSError as error:
        raise click.UsageError(f"cannot listen on {host}:{port}: {error.strerror or error}"
                               ) from None
    base = f"http://{host}:{listener.getsockname()[1]}"
    click.echo(f"Validation proxy on {base}  (store: {config.store}"
               f"{', strict client' if strict_client else ''}"
               f"{f', recording into {record}' if record else ''})")
    for prefix, pipeline, upstream in app.routes:
        click.echo(f"  {pipeline.contract.extensions.vendor.name:<12} {base}{prefix}  ->  "
                   f"{upstream.base_url}")
        if len(app.routes) == 1:
            click.echo(f"  {'':<12} {base}{pipeline.contract.server_path}   (the only vendor: "
                       "its documented paths also work at the root)")
    click.echo(f"  Journal      {base}/__mock__/journal")
    sys.stdout.flush()
    server.run(functools.partial(_build, config), listener,
               server=server_name, workers=workers, threads=threads, access_log=False)


def _build(config: ProxyConfig) -> object:
    """One worker's app, with the per-exchange log line going to stderr."""
    from mockserver.proxy.app import ProxyApp

    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    logger = logging.getLogger("mockserver.proxy")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    return ProxyApp(config)

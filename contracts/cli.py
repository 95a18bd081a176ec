"""`contracts`: the commands that read contracts alone, with no mock and no implementation."""

from __future__ import annotations

import click

from contracts.drift_command import drift
from contracts.loading import available, path

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


main.add_command(drift)

"""`conformance run`: placeholder until the suite lands."""

import click


@click.group()
def main() -> None:
    """Check an implementation against a contract."""

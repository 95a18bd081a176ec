"""The `contracts` command."""

from __future__ import annotations

from click.testing import CliRunner

import contracts
from contracts.cli import main


def test_list_names_every_shipped_contract_with_its_file():
    result = CliRunner().invoke(main, ["list"])
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert [line.split()[0] for line in lines] == contracts.available()
    assert all(line.split()[1].endswith(f"{line.split()[0]}.yaml") for line in lines)

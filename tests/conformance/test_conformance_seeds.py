"""No false positive whatever the seed or the accounts: `mockserver serve`, run as a user runs it
with credentials nobody on the project chose (`--client`, `--key`, a second tenant for every
vendor), conforms in every family for all four contracts with seeds 0-9, and `conformance run`
says CONFORMS and exits 0. CI runs the sweep at the `quick` profile (seed 0 runs at `standard` in
test_conformance_power.py); `CONFORMANCE_SWEEP_PROFILE=standard` runs the full sweep by hand."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from conformance.cli import main
from conformance.runner import run
from tests.broken.accounts import CREDENTIALS, account_flags
from tests.broken.serve import BASE_PATHS, options
from tests.helpers import Served

PROFILE = os.environ.get("CONFORMANCE_SWEEP_PROFILE", "quick")
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def root():
    with Served("--store", "memory", "--workers", "1", "--threads", "8", *account_flags(),
                cwd=ROOT) as served:
        yield served.base


@pytest.mark.parametrize("seed", range(10))
@pytest.mark.parametrize("vendor", list(BASE_PATHS))
def test_the_served_mock_conforms_with_every_seed(root, vendor, seed):
    results = run(options(vendor, root, profile=PROFILE, seed=seed))
    shown = [f"[{f.check}] {f.operation}: {f.rule}: {f.message[:200]}" for f in results.findings]
    shown += [f"[{name}] not exercised: {why}" for name, why in results.not_exercised.items()]
    shown += [f"[{name}] not applicable: {why}" for name, why in results.not_applicable.items()]
    assert results.ok and not results.not_applicable, shown  # ok: every family that applies ran


def _flags(vendor: str) -> list[str]:
    names = {"client_id": "--client-id", "client_secret": "--client-secret", "token": "--token",
             "other_token": "--other-token", "other_client_id": "--other-client-id",
             "other_client_secret": "--other-client-secret"}
    return [arg for field, value in CREDENTIALS[vendor].items()
            for arg in (names[field], value)]


@pytest.mark.parametrize("vendor", list(BASE_PATHS))
def test_conformance_run_says_conforms_for_the_served_mock(root, vendor):
    result = CliRunner().invoke(main, [
        "run", vendor, "--base-url", root + BASE_PATHS[vendor], "--fast-forward",
        "--profile", "quick", "--seed", "3", *_flags(vendor)])
    assert result.exit_code == 0, result.output
    assert "CONFORMS" in result.output and "NOT EXERCISED" not in result.output, result.output

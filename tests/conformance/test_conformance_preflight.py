"""The gate cannot pass for the wrong reason: refused, missing or misdirected credentials and a
base URL where the contract does not answer stop the run with exit 2 before any check, saying
which credential was refused and what the server answered."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from conformance.cli import main
from tests.broken.catalogue import CATALOGUE
from tests.broken.serve import BASE_PATHS, CREDENTIALS, serve

WRONG = {
    "further": ["--client-id", "YOUR_CLIENT_ID", "--client-secret", "wrong-secret"],
    "phinite": ["--token", "wrong-token"],
    "flowflow": ["--token", "wrong-token"],
    "futurity": ["--token", "wrong-token"],
}
REFUSED = {"further": "token endpoint refused", "phinite": "refused the token",
           "flowflow": "refused the token", "futurity": "refused the token"}


def conformance(root: str, vendor: str, *args: str, path: str | None = None):
    base = root + (path if path is not None else BASE_PATHS[vendor])
    return CliRunner().invoke(main, ["run", vendor, "--base-url", base, "--fast-forward",
                                     "--profile", "quick", *args], env={
        "CONFORMANCE_TOKEN": None, "CONFORMANCE_CLIENT_ID": None,
        "CONFORMANCE_CLIENT_SECRET": None, "CONFORMANCE_OTHER_TOKEN": None,
        "CONFORMANCE_OTHER_CLIENT_ID": None, "CONFORMANCE_OTHER_CLIENT_SECRET": None})


def own(vendor: str) -> list[str]:
    """The flags of this session's accounts for `vendor`."""
    return [arg for name, value in CREDENTIALS[vendor].items()
            for arg in (f"--{name.replace('_', '-')}", value)]


@pytest.fixture(scope="module")
def root():
    with serve() as url:
        yield url


@pytest.mark.parametrize("vendor", list(BASE_PATHS))
def test_wrong_credentials_exit_2_saying_what_was_refused(root, vendor):
    result = conformance(root, vendor, *WRONG[vendor])
    assert result.exit_code == 2, result.output
    assert REFUSED[vendor] in result.output and "401" in result.output, result.output
    assert "wrong-secret" not in result.output and "wrong-token" not in result.output


@pytest.mark.parametrize("vendor", list(BASE_PATHS))
def test_missing_credentials_exit_2(root, vendor):
    result = conformance(root, vendor)
    assert result.exit_code == 2, result.output
    assert "needs credentials and none were given" in result.output


@pytest.mark.parametrize("vendor", ["flowflow", "futurity", "phinite"])
def test_a_refused_second_tenant_exits_2(root, vendor):
    given = [arg for arg in own(vendor) if arg not in (CREDENTIALS[vendor]["other_token"],
                                                      "--other-token")]
    result = conformance(root, vendor, *given, "--other-token", "not-a-tenant")
    assert result.exit_code == 2, result.output
    assert "second tenant's credentials (--other-token" in result.output
    assert "not-a-tenant" not in result.output


def test_a_refused_second_oauth_client_exits_2(root):
    given = ["--client-id", CREDENTIALS["further"]["client_id"],
             "--client-secret", CREDENTIALS["further"]["client_secret"]]
    result = conformance(root, "further", *given, "--other-client-id", "nobody",
                         "--other-client-secret", "not-a-secret")
    assert result.exit_code == 2, result.output
    assert "--other-client-id 'nobody'" in result.output and "401" in result.output
    assert "not-a-secret" not in result.output


@pytest.mark.parametrize("vendor", list(BASE_PATHS))
def test_a_base_url_where_the_contract_does_not_answer_exits_2(root, vendor):
    result = conformance(root, vendor, *own(vendor), path="/elsewhere")
    assert result.exit_code == 2, result.output
    assert "answers as the" in result.output or "refused" in result.output, result.output


@pytest.mark.parametrize("breakage", [b for b in CATALOGUE if b.family == "preflight"], ids=str)
def test_an_implementation_that_refuses_good_credentials_exits_2(breakage):
    with serve(breakage) as url:
        result = conformance(url, breakage.vendor, *own(breakage.vendor))
    assert result.exit_code == 2, f"{breakage.name} went unnoticed: {result.output}"
    assert "refused" in result.output

"""Run the conformance checks inside your own pytest suite.

    from conformance.testing import conformance_test

    test_phinite_conforms = conformance_test(
        "phinite", base_url=os.environ["PHINITE_URL"], token=os.environ["PHINITE_KEY"])

One test per check family; a failing one lists every violation with its evidence and cURL. The
base URL may instead come from a fixture (`base_url_fixture="vendor_mock_url"`), e.g. this
project's own live mock.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from conformance.options import RunOptions
from conformance.report import describe
from conformance.runner import FAMILIES, run

__all__ = ["conformance_test"]


def conformance_test(contract: str, *, base_url: str | None = None,
                     base_url_fixture: str | None = None, checks: list[str] | None = None,
                     **options: Any) -> Callable[..., None]:
    """A pytest test, parametrized by check family, that fails with the violations found."""
    if (base_url is None) == (base_url_fixture is None):
        raise ValueError("give exactly one of base_url and base_url_fixture")

    @pytest.mark.mock_allows_violations  # invalid input is sent on purpose
    @pytest.mark.parametrize("check", checks or list(FAMILIES))
    def test_conformance(check: str, request: pytest.FixtureRequest) -> None:
        """One check family against the implementation."""
        url = base_url if base_url is not None else \
            request.getfixturevalue(str(base_url_fixture))
        results = run(RunOptions(contract=contract, base_url=url, checks=[check], **options))
        if not results.ok:
            reasons = [f"{name} not exercised: {why}" for name, why in
                       results.not_exercised.items()]
            pytest.fail("\n\n".join([*reasons, *(describe(f) for f in results.findings)]),
                        pytrace=False)

    return test_conformance

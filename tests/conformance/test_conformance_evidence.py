"""Evidence a person can paste: a finding's cURL runs as printed, with each credential read from
the environment variable it names (a second tenant's as its own), and replays what was found."""

from __future__ import annotations

import os
import re
import subprocess

import pytest

from conformance.findings import Finding
from conformance.runner import run
from tests.broken.catalogue import CATALOGUE
from tests.broken.serve import CREDENTIALS, options, serve

ENVIRONMENT = {
    "phinite": {"CONFORMANCE_TOKEN": CREDENTIALS["phinite"]["token"]},
    "further": {"CONFORMANCE_CLIENT_SECRET": CREDENTIALS["further"]["client_secret"]},
    "futurity": {"CONFORMANCE_TOKEN": CREDENTIALS["futurity"]["token"],
                 "CONFORMANCE_OTHER_TOKEN": CREDENTIALS["futurity"]["other_token"]},
}


def breakage(name: str):
    return next(b for b in CATALOGUE if b.name == name)


def replayed_status(finding: Finding, environment: dict[str, str]) -> int:
    exchange = finding.exchange
    assert exchange is not None
    script = "\n".join([exchange.setup, f'{exchange.curl} -s -o /dev/null -w "%{{http_code}}"'])
    done = subprocess.run(["bash", "-c", script], capture_output=True, text=True, timeout=60,
                          env={"PATH": os.environ["PATH"], **environment})
    return int(done.stdout.strip()[-3:])


@pytest.mark.parametrize(("name", "family", "rule_part", "replays"), [
    ("phinite-500-on-malformed-body", "negative", "server error", True),
    ("further-unknown-id-200", "lifecycle", "unknown ids", True),
    # the resource read across tenants is deleted by the end of the run: a replay gets 404
    ("futurity-reads-across-tenants", "resources", "another's resources", False),
])
def test_a_findings_curl_replays_it_with_credentials_from_the_environment(name, family,
                                                                          rule_part, replays):
    broken = breakage(name)
    with serve(broken) as root:
        results = run(options(broken.vendor, root, profile="standard", checks=[family]))
        finding = next(f for f in results.findings if rule_part in f.rule.lower()
                       and f.exchange is not None)
        assert finding.exchange is not None
        shown = re.sub(r"\$\{\w+\}", "", finding.exchange.setup + finding.exchange.curl)
        for secret in CREDENTIALS[broken.vendor].values():
            if secret != CREDENTIALS[broken.vendor].get("client_id"):
                assert secret not in shown, "a credential is printed"
        assert "'" not in finding.exchange.curl.split("--data-binary")[0]
        if replays:
            assert replayed_status(finding, ENVIRONMENT[broken.vendor]) == \
                finding.exchange.status
    if broken.vendor == "futurity":
        assert "${CONFORMANCE_OTHER_TOKEN}" in finding.exchange.curl


def test_identical_findings_fold_into_one_with_a_count():
    broken = breakage("phinite-auth-ignored")
    with serve(broken) as root:
        results = run(options("phinite", root, profile="quick", checks=["auth"]))
    keys = [(f.check, f.operation, f.rule) for f in results.findings]
    assert len(keys) == len(set(keys))
    assert any(f.count > 1 for f in results.findings), [f.count for f in results.findings]

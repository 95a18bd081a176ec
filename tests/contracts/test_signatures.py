"""Webhook signatures: what the mock signs, the suite and users' tests accept, and nothing else."""

from __future__ import annotations

from contracts.signatures import sign, signature_problem, verify_signature

BODY = b'{"id": "run-1", "status": "completed"}'


def test_a_signature_made_by_sign_is_accepted():
    header = sign(BODY, "whsec_a", 1_700_000_000)
    assert header.startswith("t=1700000000,v1=")
    assert signature_problem(BODY, header, "whsec_a") is None
    assert verify_signature(BODY.decode(), header, "whsec_a")


def test_each_way_a_signature_can_be_wrong_is_named():
    header = sign(BODY, "whsec_a", 1_700_000_000)
    assert signature_problem(BODY, None, "whsec_a") == "no signature header"
    assert "timestamp" in signature_problem(BODY, header.replace("t=", "x="), "whsec_a")
    assert "HMAC" in signature_problem(BODY, header, "whsec_other")
    assert "HMAC" in signature_problem(BODY + b" ", header, "whsec_a")
    assert "more than 300s" in signature_problem(BODY, header, "whsec_a", tolerance=300,
                                                 now=1_700_000_301)
    assert signature_problem(BODY, header, "whsec_a", tolerance=300, now=1_700_000_299) is None


def test_one_matching_signature_among_several_is_enough():
    """As during a secret's rotation: the sender signs with the old and the new secret."""
    old, new = sign(BODY, "whsec_old", 5), sign(BODY, "whsec_new", 5)
    both = f"{old},v1={new.partition(',v1=')[2]}"
    assert verify_signature(BODY, both, "whsec_new") and verify_signature(BODY, both, "whsec_old")

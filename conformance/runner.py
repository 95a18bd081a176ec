"""Run the check families against one implementation and collect what they find, and what each
family really exercised: a family that could do nothing it exists for fails the run."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from conformance.checks.auth import run_auth
from conformance.checks.common import REFUSED
from conformance.checks.examples import ANSWERED, run_examples
from conformance.checks.generated import run_generated
from conformance.checks.hypermedia import run_hypermedia
from conformance.checks.lifecycle import run_lifecycles
from conformance.checks.links import run_links
from conformance.checks.resources import run_resources
from conformance.checks.runs import applies as _has_run_extras
from conformance.checks.runs import run_runs
from conformance.checks.webhooks import run_webhooks
from conformance.findings import Results
from conformance.options import RunOptions
from conformance.preflight import preflight
from conformance.profiles import PROFILES, Profile
from conformance.target import Target, TargetError
from conformance.transport import RequestBudgetSpent, Throttled

__all__ = ["FAMILIES", "Family", "run"]

@dataclass(frozen=True)
class Family:
    """A check family: what it runs, what it holds the implementation to, and what it must have
    exercised at least once (when the contract gives it anything to do) to count as passed."""

    run: Callable[[Target, Results, Profile], None]
    description: str
    needs: tuple[str, ...]
    applies: Callable[[Target], bool] = lambda target: True


def _has_examples(target: Target) -> bool:
    return any(media.get("examples") or "example" in media or "example" in schema
               or schema.get("examples")
               for _, _, raw in target.operations().values()
               for media in raw.get("requestBody", {}).get("content", {}).values()
               for schema in [media.get("schema", {})])


def _has_secured(target: Target) -> bool:
    return any(target.secured(raw) for _, _, raw in target.operations().values())


def _has_resources(target: Target) -> bool:
    return any(r.create and r.read and r.parent is None
               for r in target.extensions.resources.items.values())


# Generated input first, while the implementation is fresh: empty lists get checked too.
FAMILIES: dict[str, Family] = {
    "positive": Family(partial(run_generated, mode="positive"),
                       "generated valid input: status, content type, headers, body schema, no 5xx",
                       ("documented successes",)),
    "negative": Family(partial(run_generated, mode="negative"),
                       "invalid input, one defect at a time then generated, gets a documented "
                       "error", ("invalid requests rejected",)),
    "examples": Family(run_examples,
                       "the contract's own request examples are answered as documented",
                       (ANSWERED,), _has_examples),
    "auth": Family(run_auth, "credentials are enforced on every secured operation; tokens expire",
                   ("bad credentials refused",), _has_secured),
    "lifecycle": Family(run_lifecycles,
                        "runs follow x-lifecycles from creation to a final state",
                        ("runs created", "runs finished"),
                        lambda target: bool(target.extensions.lifecycles)),
    "hypermedia": Family(run_hypermedia,
                         "every URL the API hands out is followed and addresses what the body "
                         "names", ("URLs followed",),
                         lambda target: bool(target.extensions.hypermedia)),
    "resources": Family(run_resources,
                        "created resources can be read, listed, paged, filtered, updated and "
                        "deleted", ("resources created", "resources read back"), _has_resources),
    "runs": Family(run_runs, "cancel, lists of runs and their paging, and the URLs a run hands "
                   "out, as x-lifecycles declares them", ("runs created",), _has_run_extras),
    "links": Family(run_links, "stateful sequences through the contract's OpenAPI links",
                    ("documented successes",)),
    "webhooks": Family(run_webhooks, "runs that end are notified: signed deliveries of the "
                       "declared payload (only with --webhooks)", ("deliveries checked",),
                       lambda t: any(lc.webhooks for lc in t.extensions.lifecycles.values())),
}


def run(options: RunOptions, progress: Callable[[str], None] = lambda line: None) -> Results:
    """Check the implementation at `options.base_url`; raises TargetError (exit 2) when it
    cannot be checked at all: unreachable, credentials refused, nothing of the contract there."""
    unknown = set(options.checks) - set(FAMILIES)
    if unknown:
        raise ValueError(f"unknown checks {sorted(unknown)}; choose from {sorted(FAMILIES)}")
    target = Target(options)
    try:
        preflight(target)
    except (Throttled, RequestBudgetSpent) as error:
        raise TargetError(f"before any check: {error}") from error
    results = Results(options.seed, options.max_throttled)
    results.transport = target.session.tally
    profile = PROFILES[options.profile]
    spent: str | None = None
    for name in options.checks or [f for f in FAMILIES if f != "webhooks" or options.webhooks]:
        family = FAMILIES[name]
        if not family.applies(target):
            results.skipped(name, "-", "the contract gives this family nothing to check")
            continue
        if spent is not None:
            results.unexercised(name, f"not run: {spent}")
            continue
        started, before = time.perf_counter(), len(results.findings)
        target.session.calm()
        try:
            family.run(target, results, profile)
        except Exception:  # hypothesis may wrap what the transport raised: ask the transport
            stop = target.session.stopped
            if stop is None:
                raise
            if isinstance(stop, RequestBudgetSpent):
                spent = str(stop)
            else:
                results.throttle_stops[name] = (f"{stop}; the family stopped after "
                                                f"{target.session.tally.sent} requests in all")
        _judge_exercised(results, name, family, spent)
        found = len(results.findings) - before
        verdict = "ok" if not found else f"{found} violation{'s' if found != 1 else ''}"
        if name in results.not_exercised:
            verdict = "NOT EXERCISED"
        elif name in results.not_applicable:
            verdict = "not applicable"
        elif name in results.throttle_stops:
            verdict = "THROTTLED"
        progress(f"{name:<10} {verdict:<16} {time.perf_counter() - started:6.1f}s")
    return results


def _judge_exercised(results: Results, name: str, family: Family, spent: str | None) -> None:
    done = results.exercised[name]
    missing = [need for need in family.needs if not done[need]]
    if not missing or name in results.not_applicable:
        return
    why = f"no {' and no '.join(missing)}"
    if done[REFUSED]:
        why += f"; {done[REFUSED]} requests were refused with 401/403"
    if spent is not None:
        why += f" ({spent})"
    if name in results.throttle_stops:
        why += f" (the server throttled: {results.throttle_stops[name]})"
    results.unexercised(name, why)

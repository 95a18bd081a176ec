"""Every URL the API hands out for the client to follow (`x-hypermedia`: a poll URL, a download
URL) is followed as a client would follow it, and must address the resource the body names: the
same run, the same file. A URL on another origin is never contacted: it is followed at the base
URL by its path, so that a proxy in front of the implementation sees the request too."""

from __future__ import annotations

import re
import uuid
from urllib.parse import urlsplit

import requests
from schemathesis import APIOperation, GenerationMode

from conformance.checks.common import (
    body_of,
    draw,
    fixed_parameters,
    judge,
    load_schema,
    operations_by_id,
    send,
)
from conformance.checks.parents import parent_ids
from conformance.findings import Results
from conformance.profiles import Profile
from conformance.target import Target, json_or_none
from contracts import pointers
from contracts.extensions import HandedOutUrl

__all__ = ["run_hypermedia"]

CHECK = "hypermedia"


def run_hypermedia(target: Target, results: Results, profile: Profile) -> None:
    """Obtain each declared URL from a real response, a few times, and follow it."""
    operations = operations_by_id(load_schema(target))
    for declared in target.extensions.hypermedia:
        handing = operations[declared.handed_out_by]
        for attempt in range(max(1, profile.lifecycle_runs // 2)):
            marker = f"conformance upload {uuid.uuid4().hex}".encode()
            fields = {declared.content.strip("/"): marker} if declared.content else None
            parents = parent_ids(target, handing, operations, fields)
            _check(target, results, operations, declared, handing, parents,
                   target.options.seed + attempt, marker if fields else None)


def _check(target: Target, results: Results, operations: dict[str, APIOperation],
           declared: HandedOutUrl, handing: APIOperation, parents: dict[str, str],
           seed: int, uploaded: bytes | None) -> None:
    case = draw(handing.as_strategy(generation_mode=GenerationMode.POSITIVE), seed)
    case.path_parameters = {**fixed_parameters(target, case.path_parameters), **parents}
    headers = target.auth_headers(handing.definition.raw)
    response = send(target, case, headers)
    if response is None or not judge(target, results, CHECK, case, response, headers) or \
            not 200 <= response.status_code < 300:
        return
    body = json_or_none(response)
    url = pointers.get(body, declared.url, None)
    if not isinstance(url, str) or not urlsplit(url).scheme.startswith("http"):
        results.failed(CHECK, handing.label, "a handed-out URL is an absolute http(s) URL",
                       f"{declared.url} is {url!r}", target.exchange(response))
        return
    follow = operations[declared.follow] if declared.follow else None
    address = _address(target, url, follow)
    if address is None and follow is None:
        results.skipped(CHECK, handing.label, "a URL on another host is never contacted")
        return
    if address is None:
        results.failed(CHECK, handing.label, "a handed-out URL addresses the documented operation",
                       f"{declared.url} {url!r} is not a URL of {declared.follow}",
                       target.exchange(response))
        return
    if address != url:
        results.skipped(CHECK, handing.label, "URLs on another origin are followed at the "
                        "base URL by their path")
    followed = target.request("GET", address[len(target.base_url):], headers=target.auth_headers(
        follow.definition.raw) if follow is not None else {}) if address.startswith(
        target.base_url) else _bare(target, address)
    if not 200 <= followed.status_code < 300:
        results.failed(CHECK, handing.label, "a handed-out URL can be followed",
                       f"following {declared.url} answered {followed.status_code}",
                       target.exchange(followed))
        return
    if uploaded is not None and followed.content != uploaded:
        results.failed(CHECK, handing.label,
                       "a handed-out URL addresses the resource the body names",
                       f"{declared.url} serves {len(followed.content)} bytes that are not the "
                       f"{len(uploaded)} uploaded", target.exchange(followed))
        return
    if follow is not None:
        followed_case = follow.Case(path_parameters=_path_parameters(follow, address, target))
        if not judge(target, results, CHECK, followed_case, followed, {}):
            return
    request = {"path": dict(case.path_parameters or {}), "query": dict(case.query or {}),
               "body": body_of(case)}
    named = json_or_none(followed)
    for here, there in declared.same.items():
        expected = pointers.evaluate(here if here.startswith("$") else
                                     f"$response.body#{here}", request, body)
        actual = pointers.get(named, there, None)
        if actual != expected:
            results.failed(CHECK, handing.label,
                           "a handed-out URL addresses the resource the body names",
                           f"{declared.url} leads to {there} = {actual!r}, the body names "
                           f"{expected!r}", target.exchange(followed))
            return
    results.passed(CHECK, handing.label)
    results.did(CHECK, "URLs followed")


def _address(target: Target, url: str, follow: APIOperation | None) -> str | None:
    """Where to send the request for `url`: itself on the base URL's origin, else its path
    rebased on the base URL; None when it does not address `follow`."""
    base = urlsplit(target.base_url)
    parts = urlsplit(url)
    if follow is None:
        same_origin = (parts.scheme, parts.netloc) == (base.scheme, base.netloc)
        local = parts.hostname in ("127.0.0.1", "localhost")
        return url if same_origin or local else None
    pattern = re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(follow.path)) + "$"
    found = re.search(pattern, parts.path)
    if found is None:
        return None
    if (parts.scheme, parts.netloc) == (base.scheme, base.netloc) and \
            parts.path == base.path.rstrip("/") + found.group(0):
        return url
    return target.base_url + found.group(0) + (f"?{parts.query}" if parts.query else "")


def _path_parameters(follow: APIOperation, address: str, target: Target) -> dict[str, str]:
    template = follow.path.strip("/").split("/")
    actual = urlsplit(address).path[len(urlsplit(target.base_url).path):].strip("/").split("/")
    return {part[1:-1]: requests.utils.unquote(value)
            for part, value in zip(template, actual, strict=False) if part.startswith("{")}


def _bare(target: Target, url: str) -> requests.Response:
    """A URL outside the contract's operations (a signed download): no credentials."""
    return target.session.get(url, timeout=target.options.timeout)

"""Sources kept honest: every `x-source` quote of a contract must still occur, whitespace aside,
in the document it cites, whether the copy shipped in `contracts/sources/` or a page fetched
again. A quote that lost its basis is a statement of the contract nobody vouches for any more.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from contracts.lint import Problem

__all__ = ["SHIPPED_SOURCES", "Quote", "check_quotes", "normalise", "quotes", "source_texts"]

SHIPPED_SOURCES = Path(__file__).parent / "sources"
"""Where the copies of the vendors' documents ship, one text file per page."""


class Quote(BaseModel):
    """One `x-source` entry: where the contract makes it, the document and the words cited."""

    place: str
    doc: str
    quote: str


def normalise(text: str) -> str:
    """Text with every run of whitespace one space: quotes survive re-wrapping."""
    return re.sub(r"\s+", " ", text).strip()


def quotes(document: Any) -> list[Quote]:
    """Every `x-source` quote of a parsed (unresolved) contract, in document order; an entry
    without `doc` and `quote` strings is one with an empty quote, which no check passes."""
    found = []
    for place, node in _nodes(document, ()):
        declared = node.get("x-source")
        entries = declared if isinstance(declared, list) else [declared] if declared else []
        for index, entry in enumerate(entries):
            where = f"{place}.x-source" + (f".{index}" if isinstance(declared, list) else "")
            entry = entry if isinstance(entry, dict) else {}
            found.append(Quote(place=where.lstrip("."), doc=str(entry.get("doc", "")),
                               quote=str(entry.get("quote", ""))))
    return found


def source_texts(docs: set[str], directory: Path = SHIPPED_SOURCES,
                 overrides: Mapping[str, Path] | None = None) -> tuple[dict[str, str],
                                                                       dict[str, Path]]:
    """The text of each document named, from `directory` unless `overrides` names another file
    for it, normalised; and where each was looked for. A document not found has no text."""
    texts, where = {}, {}
    for doc in sorted(docs):
        file = (overrides or {}).get(doc) or directory / doc
        where[doc] = file
        try:
            texts[doc] = normalise(file.read_text(encoding="utf-8", errors="replace"))
        except OSError:
            continue
    return texts, where


def check_quotes(document: Any, directory: Path = SHIPPED_SOURCES,
                 overrides: Mapping[str, Path] | None = None) -> tuple[list[Quote], list[Problem]]:
    """Every quote of the contract, and a problem for each that lost its basis: its document
    is not listed in `x-vendor.sources`, cannot be read, or no longer contains the words."""
    cited = quotes(document)
    texts, where = source_texts({q.doc for q in cited if q.doc}, directory, overrides)
    vendor = document.get("x-vendor") if isinstance(document, dict) else None
    listed = vendor.get("sources") if isinstance(vendor, dict) else None
    problems = []
    for quote in cited:
        if not quote.doc or not quote.quote.strip():
            problems.append(Problem(place=quote.place, message="an x-source needs `doc` and "
                                    "`quote`, e.g. `{doc: 001_....txt, quote: \"...\"}`"))
        elif isinstance(listed, list) and quote.doc not in listed:
            problems.append(Problem(place=quote.place, message=f"{quote.doc} is not one of "
                                    f"x-vendor.sources {listed}"))
        elif quote.doc not in texts:
            problems.append(Problem(place=quote.place, message=f"{quote.doc} cannot be read "
                                    f"at {where[quote.doc]}"))
        elif normalise(quote.quote) not in texts[quote.doc]:
            problems.append(Problem(place=quote.place, message=f"{quote.quote!r} no longer "
                                    f"occurs in {quote.doc} ({where[quote.doc]})"))
    return cited, problems


def _nodes(node: Any, trail: tuple[str, ...]) -> Iterator[tuple[str, dict[str, Any]]]:
    if isinstance(node, dict):
        yield ".".join(trail), node
        for key, value in node.items():
            if key != "x-source":
                yield from _nodes(value, (*trail, str(key)))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _nodes(value, (*trail, str(index)))

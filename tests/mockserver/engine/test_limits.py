"""Bounds no request can pass: JSON depth, capped delays, the latest moment."""

from __future__ import annotations

import threading

import pytest

from mockserver.engine.limits import (
    LATEST_TIME,
    NotJSON,
    OutOfRange,
    Pauses,
    TooDeep,
    check_moment,
    parse_json,
)


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


def test_json_up_to_the_depth_limit_parses_and_one_level_more_is_refused():
    assert parse_json(nested(64), 64) is not None
    with pytest.raises(TooDeep, match="64"):
        parse_json(nested(65), 64)
    with pytest.raises(TooDeep):
        parse_json(nested(100_000), 64)


def test_brackets_inside_strings_and_wide_json_do_not_count_as_depth():
    assert parse_json('{"a": "' + "[" * 500 + '"}', 8) == {"a": "[" * 500}
    assert len(parse_json("[" + ",".join(["[]"] * 1000) + "]", 2)) == 1000


def test_json_that_is_not_json_raises_the_parsers_value_error():
    with pytest.raises(ValueError):
        parse_json(b"{nope", 64)


@pytest.mark.parametrize("text", ["[NaN]", "[Infinity]", "[-Infinity]", "[1e999]",
                                  '["\\ud800"]', '{"\\udfff": 1}'])
def test_what_json_or_the_store_cannot_hold_is_refused(text):
    with pytest.raises(NotJSON):
        parse_json(text, 64)


def test_paired_surrogates_and_escaped_backslashes_are_fine():
    assert parse_json('["\\ud83d\\ude00", "\\\\ud800"]', 64) == ["\U0001f600", "\\ud800"]


def test_moments_must_be_finite_and_no_later_than_the_latest_time():
    assert check_moment(LATEST_TIME, "now") == LATEST_TIME
    for moment in (LATEST_TIME + 1, float("inf"), float("nan")):
        with pytest.raises(OutOfRange):
            check_moment(moment, "now")


def test_a_pause_is_capped_and_stopping_ends_it_at_once():
    pauses = Pauses(cap_seconds=600)
    assert pauses.capped(86_400) == 600 and pauses.capped(-1) == 0
    waiter = threading.Thread(target=pauses.pause, args=(86_400,))
    waiter.start()
    pauses.stop()
    waiter.join(timeout=10)
    assert not waiter.is_alive()

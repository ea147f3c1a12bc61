"""The country tables' rules (pure): event time, windows, merging, top-N; and the terminal rendering."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace

import pytest

from streams.cli.countries import render_country, render_top
from streams.domain.tables import (
    add_mentions,
    article_time,
    event_time,
    isoformat,
    mentions,
    merge_counts,
    normalise_country,
    parse_time,
    top_countries,
    window_bounds,
    window_key,
)

JAN_25 = datetime(2019, 1, 25, 14, 30, tzinfo=UTC).timestamp()


@pytest.mark.parametrize(
    "text",
    [
        "2019-01-25T14:30:00Z",
        "2019-01-25T14:30:00+00:00",
        "2019-01-25T15:30:00+01:00",
        "2019-01-25T14:30:00",
        "2019-01-25T14:30:00.000Z",
    ],
)
def test_parse_time_reads_rfc3339_and_treats_naive_times_as_utc(text):
    assert parse_time(text) == JAN_25


@pytest.mark.parametrize("text", [None, "", "yesterday", "25/01/2019"])
def test_parse_time_gives_none_for_what_it_cannot_read(text):
    assert parse_time(text) is None


def test_event_time_is_published_at_else_the_record_timestamp():
    assert article_time({"published_at": "2019-01-25T14:30:00Z"}, 1700000000.0) == JAN_25
    assert article_time({"published_at": None}, 1700000000.0) == 1700000000.0
    assert article_time({"published_at": "not a time"}, 1700000000.0) == 1700000000.0
    assert article_time({}, None) is None
    event = SimpleNamespace(value={"published_at": "2019-01-25T14:30:00Z"}, message=SimpleNamespace(timestamp=1.0))
    assert event_time(event) == JAN_25
    with pytest.raises(ValueError):
        event_time(SimpleNamespace(value={}, message=SimpleNamespace(timestamp=None)))


def test_windows_are_utc_aligned_hours_and_days():
    assert [isoformat(t) for t in window_bounds(3600, JAN_25)] == ["2019-01-25T14:00:00Z", "2019-01-25T15:00:00Z"]
    assert [isoformat(t) for t in window_bounds(86400, JAN_25)] == ["2019-01-25T00:00:00Z", "2019-01-26T00:00:00Z"]


def test_windows_match_faust_tumbling_windows():
    from faust.windows import TumblingWindow

    for size in (3600, 86400):
        start, end = TumblingWindow(size).ranges(JAN_25)[0]
        assert (start, round(end + 0.1)) == window_bounds(size, JAN_25)


def test_window_keys_are_faust_s_float_for_float():
    """The tables are keyed with window_key: the keys Faust's own window would give, byte for byte."""
    import random
    from datetime import timedelta

    from faust.windows import TumblingWindow

    rng = random.Random(13)
    moments = [JAN_25, 0.0, 1700000000.0, 1699999999.999999, 1700006400.0 - 1e-6]
    moments += [rng.uniform(0, 4e9) for _ in range(2000)] + [float(rng.randrange(4_000_000_000)) for _ in range(500)]
    for size in (3600, 86400):
        window = TumblingWindow(timedelta(seconds=size))  # as streams.runtime.app declares them
        for moment in moments:
            assert repr(window_key(size, moment)) == repr(window.ranges(moment)[0]), (size, moment)
            assert window_key(size, moment)[0] == window_bounds(size, moment)[0]


def test_country_codes_are_normalised_or_rejected_with_the_rule():
    assert normalise_country(" ve ") == "VE"
    with pytest.raises(ValueError, match="two letters"):
        normalise_country("VEN")


def test_a_replayed_country_mention_is_not_counted_twice():
    value = add_mentions([], 3, offset=10)
    assert value == [3, 11] and mentions(value) == 3
    value = add_mentions(value, 2, offset=12)
    assert value == [5, 13]
    assert add_mentions(value, 2, offset=12) is None  # the same event again (a replay after a crash)
    assert add_mentions(value, 3, offset=10) is None
    assert mentions(None) == mentions([]) == 0


def test_merge_refuses_a_country_from_two_workers():
    assert merge_counts([{"VE": 3}, {"RU": 2}, {}]) == {"VE": 3, "RU": 2}
    with pytest.raises(ValueError, match="retry"):
        merge_counts([{"VE": 3}, {"VE": 3}])


def test_top_countries_ranks_by_count_then_code_and_limits():
    counts = {"US": 2, "VE": 9, "RU": 9, "FR": 0}
    assert top_countries(counts, 0) == [
        {"country": "RU", "mentions": 9},
        {"country": "VE", "mentions": 9},
        {"country": "US", "mentions": 2},
    ]
    assert [row["country"] for row in top_countries(counts, 1)] == ["RU"]


def test_terminal_rendering_names_the_countries():
    top = {
        "window": "1h",
        "start": "2019-01-25T14:00:00Z",
        "end": "2019-01-25T15:00:00Z",
        "countries": [{"country": "VE", "mentions": 9}],
        "total_countries": 1,
        "total_mentions": 9,
        "workers": 2,
    }
    text = render_top(top)
    assert "VE" in text and "Venezuela" in text and "2019-01-25T14:00:00Z" in text and "2 workers" in text
    one = {
        "country": "RU",
        "mentions": 8,
        "windows": {"1h": [], "1d": [{"start": "2019-01-25T00:00:00Z", "end": "2019-01-26T00:00:00Z", "mentions": 8}]},
    }
    text = render_country(one)
    assert "RU" in text and "8 mentions" in text and "(none retained)" in text and "2019-01-25T00:00:00Z" in text

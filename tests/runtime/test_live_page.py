"""The live page: the data it is built from (pure, fast), and the page itself in a real headless Chromium
against a real broker and worker: it loads without console errors, shows the seed article's countries,
quotes and stances, and updates without a reload when one more article is published.

Screenshots go to NEWSWIRE_TEST_SCREENSHOTS (a directory) when it is set, else to the test's tmp dir:
`live-after-demo.png` (the seed articles) and `live-after-one-more.png`.
"""

from __future__ import annotations

import json
import os
import re
import time
from pathlib import Path

import pytest

from streams.runtime.live import LiveFeed, country_info, country_rows, page_state, sse_message, stance_pairs
from tests.support import SEED, free_port

NOW = 1_700_000_000.0
VENDOR = Path(__file__).resolve().parents[2] / "streams" / "runtime" / "live_static" / "vendor"


def _quote(
    event_id: str,
    article: str,
    start: int,
    text: str = "We will",
    speaker: str | None = "Maria Zakharova",
    published_at: str | None = None,
) -> dict:
    return {
        "event_id": event_id,
        "article_id": article,
        "text": text,
        "speaker": speaker,
        "cue": "said",
        "kind": "full",
        "start": start,
        "end": start + len(text),
        "confidence": 0.8123,
        "published_at": published_at,
    }


def _stance(
    event_id: str, actor: str, polarity: str, target: str, confidence: float = 0.6, published_at: str | None = None
) -> dict:
    return {
        "event_id": event_id,
        "article_id": "a1",
        "actor": actor,
        "polarity": polarity,
        "target": target,
        "type": "express_support" if polarity == "support" else "criticize_or_accuse",
        "cue": "back",
        "evidence": f"{actor} … {target}.",
        "confidence": confidence,
        "published_at": published_at,
    }


# --- the page's data (no Kafka) --------------------------------------------------------------


def test_countries_map_onto_the_world_atlas_ids():
    assert country_info("VE") == ("Venezuela", "862")
    assert country_info("RU") == ("Russia", "643")
    assert country_info("US") == ("United States", "840")
    assert country_info("XX")[1] is None  # not a country: a bar, no shape
    atlas = json.loads((VENDOR / "countries-110m.json").read_text())
    ids = {g["id"] for g in atlas["objects"]["countries"]["geometries"] if "id" in g}
    import pycountry

    numeric = {c.numeric: c.alpha_2 for c in pycountry.countries}
    unknown = sorted(i for i in ids if i not in numeric)
    assert not unknown, f"map shapes no ISO code maps onto: {unknown}"
    assert len(ids) >= 170


def test_country_rows_name_each_country_and_keep_the_window():
    answer = {
        "window": "1h",
        "start": "2019-01-25T14:00:00Z",
        "end": "2019-01-25T15:00:00Z",
        "workers": 2,
        "countries": [{"country": "VE", "mentions": 9}, {"country": "RU", "mentions": 8}],
        "total_countries": 2,
        "total_mentions": 17,
    }
    rows = country_rows(answer)
    assert rows["countries"] == [
        {"country": "VE", "name": "Venezuela", "numeric": "862", "mentions": 9},
        {"country": "RU", "name": "Russia", "numeric": "643", "mentions": 8},
    ]
    assert (rows["start"], rows["workers"], rows["total_mentions"]) == ("2019-01-25T14:00:00Z", 2, 17)


def test_feed_keeps_the_latest_quotes_newest_article_first_in_text_order():
    feed = LiveFeed(quote_limit=3)
    assert feed.add("quote", _quote("q1", "old", 10), NOW - 100, NOW)
    assert feed.add("quote", _quote("q3", "new", 50), NOW, NOW)
    assert feed.add("quote", _quote("q2", "new", 5), NOW, NOW)
    assert [q["event_id"] for q in feed.quotes] == ["q2", "q3", "q1"]
    version = feed.version
    assert not feed.add("quote", _quote("q2", "new", 5), NOW, NOW)  # read again: shown once
    assert feed.version == version
    assert not feed.add("quote", _quote("q0", "older", 1), NOW - 500, NOW)  # older than all three shown
    assert feed.add("quote", _quote("q4", "newest", 1), NOW + 5, NOW)
    assert [q["event_id"] for q in feed.quotes] == ["q4", "q2", "q3"]
    assert not feed.add("quote", {"text": "no event id"}, NOW, NOW)
    assert not feed.add("quote", "not an object", NOW, NOW)


def test_quote_time_is_the_articles_published_at_else_its_record_time():
    feed = LiveFeed()
    feed.add("quote", _quote("q1", "a", 0, published_at="2019-01-25T14:30:00Z"), NOW, NOW)
    feed.add("quote", _quote("q2", "b", 0), NOW, NOW)
    state = page_state({}, feed, NOW)
    assert [q["time"] for q in state["quotes"]] == ["2023-11-14T22:13:20Z", "2019-01-25T14:30:00Z"]


def test_feed_keeps_the_stances_of_the_window_and_prunes_them():
    feed = LiveFeed(stance_seconds=3600)
    assert feed.add("stance", _stance("s1", "Russia", "support", "Nicolas Maduro"), NOW - 1800, NOW)
    assert not feed.add("stance", _stance("s0", "Russia", "support", "Cuba"), NOW - 7200, NOW)  # too old
    assert not feed.add("stance", _stance("s1", "Russia", "support", "Nicolas Maduro"), NOW - 1800, NOW)
    assert not feed.add("stance", {"event_id": "s9", "actor": "X"}, NOW, NOW)  # not a stance
    feed.prune(NOW + 1000)
    assert [s["event_id"] for s in feed.stances] == ["s1"]
    version = feed.version
    feed.prune(NOW + 1801)
    assert feed.stances == [] and feed.version == version + 1


def test_stance_pairs_count_who_backs_or_opposes_whom():
    feed = LiveFeed()
    feed.add("stance", _stance("s1", "Donald Trump", "oppose", "Russia", 0.5), NOW - 30, NOW)
    feed.add("stance", _stance("s2", "Donald Trump", "oppose", "Russia", 0.7), NOW - 20, NOW)
    feed.add("stance", _stance("s3", "Russia", "support", "Nicolas Maduro", 0.9), NOW - 10, NOW)
    pairs = stance_pairs(feed.stances)
    assert [(p["actor"], p["polarity"], p["target"], p["count"], p["confidence"]) for p in pairs] == [
        ("Donald Trump", "oppose", "Russia", 2, 0.7),
        ("Russia", "support", "Nicolas Maduro", 1, 0.9),
    ]
    assert pairs[0]["types"] == ["criticize_or_accuse"] and pairs[0]["time"] == "2023-11-14T22:13:00Z"


def test_page_state_holds_every_window_and_frames_as_one_server_sent_event():
    feed = LiveFeed()
    feed.add("quote", _quote("q1", "a", 0, text="line\nbreak “quoted”"), NOW, NOW)
    answers = {
        "all": {
            "window": "all",
            "countries": [{"country": "VE", "mentions": 3}],
            "total_countries": 1,
            "total_mentions": 3,
            "workers": 1,
        },
        "1h": None,
    }
    state = page_state(answers, feed, NOW, notice="country counts may be behind")
    assert [w["window"] for w in state["windows"]] == ["all", "1h", "1d"]
    assert state["windows"][0]["countries"][0]["name"] == "Venezuela"
    assert state["windows"][1]["countries"] == [] and state["notice"] == "country counts may be behind"
    assert state["quotes"][0]["confidence"] == 0.812 and "start" not in state["quotes"][0]
    message = sse_message(state, retry_ms=2000).decode("utf-8")
    assert message.endswith("\n\n") and message.count("\n") == 4  # retry, event, one data line, blank line
    fields = dict(line.split(": ", 1) for line in message.strip().split("\n"))
    assert fields["retry"] == "2000" and fields["event"] == "state" and json.loads(fields["data"]) == state


def test_the_page_loads_only_files_the_worker_serves_and_the_vendored_files_carry_their_licences():
    from streams.runtime.live_web import STATIC_DIR, STATIC_FILES

    html = (STATIC_DIR / "index.html").read_text()
    used = re.findall(r'(?:src|href)="/live/static/([^"]+)"', html)
    assert used and all(name in STATIC_FILES for name in used), used
    for name in ("vendor/d3.min.js", "vendor/topojson-client.min.js", "vendor/countries-110m.json"):
        assert name in STATIC_FILES
    for licence in ("d3", "topojson-client", "world-atlas", "internmap", "delaunator", "robust-predicates"):
        assert (VENDOR / f"LICENSE-{licence}").is_file()
    readme = (VENDOR / "README.md").read_text()
    assert "d3@7.9.0" in readme and "topojson-client@3.1.0" in readme and "world-atlas@2.0.2" in readme
    assert "// https://d3js.org v7.9.0" in (VENDOR / "d3.min.js").read_text()[:100]
    assert "topojson-client v3.1.0" in (VENDOR / "topojson-client.min.js").read_text()[:100]


# --- the page in a real browser, on a real broker and worker -----------------------------------

ONE_MORE = {
    "id": "live-one-more",
    "title": "Japan and Brazil sign a new trade agreement in Tokyo",
    "text": (
        "Japan and Brazil signed a trade agreement in Tokyo on Monday, cutting tariffs on beef, soybeans and "
        "cars.\n“This agreement opens a new chapter for our two nations,” said Japanese Prime Minister Shigeru "
        "Ishiba at a news conference with Brazilian President Luiz Inacio Lula da Silva.\nLula praised Japan "
        "for its investment in Brazilian infrastructure and said the deal would create thousands of jobs in "
        "Sao Paulo."
    ),
}


def _screenshots(tmp_path: Path) -> Path:
    return Path(os.environ.get("NEWSWIRE_TEST_SCREENSHOTS") or tmp_path)


def _bars(browser) -> dict[str, int]:
    return browser.evaluate(
        "Object.fromEntries([...document.querySelectorAll('#bars .bar-row')]"
        ".map(r => [r.dataset.country, +r.querySelector('.count').textContent.replace(/,/g, '')]))"
    )


@pytest.mark.kafka
@pytest.mark.slow
def test_live_page_in_a_real_browser(kafka, kafka_settings, tmp_path):
    from streams.kafka.clients import ensure_topics, producer, wait_until_processed
    from streams.kafka.publisher import publish, read_articles
    from streams.tools.worker import WorkerProcess
    from tests.support.chromium import Chromium, chromium_binary

    assert chromium_binary(), "chromium is missing: scripts/bootstrap.sh --test installs it"
    # Topics of its own: the page shows exactly these articles, whatever else the session published.
    settings = kafka_settings.model_copy(
        update={
            "app_id": "newswire-live",
            "web_port": free_port(),
            "topic_articles": "live.articles",
            "topic_entities": "live.entities",
            "topic_quotes": "live.quotes",
            "topic_stances": "live.stances",
            "topic_country_mentions": "live.country-mentions",
            "topic_dlq": "live.articles.dlq",
        }
    )
    ensure_topics(settings)
    shots = _screenshots(tmp_path)

    def send(articles: list[dict]) -> None:
        kafka_producer = producer(settings)
        assert publish(kafka_producer, settings.topic_articles, articles, progress=False) == (len(articles),) * 2
        kafka_producer.close()
        wait_until_processed(settings, timeout=90)

    with WorkerProcess(settings) as worker:
        send(list(read_articles([str(SEED)])))
        with Chromium(tmp_path / "chromium") as browser:
            started = time.monotonic()
            browser.navigate(worker.page_url)
            browser.wait_for("document.querySelector('#connection')?.textContent === 'live'", 30, "the event stream")
            bars = browser.wait_for(
                "(() => { const b = [...document.querySelectorAll('#bars .bar-row')].map(r => r.dataset.country);"
                " return ['VE', 'RU', 'US'].every(c => b.includes(c)) && b; })()",
                30,
                "the seed's countries",
            )
            loaded_s = time.monotonic() - started
            assert _bars(browser) == {"RU": 15, "VE": 11, "US": 2}, bars
            speakers = browser.wait_for(
                "[...document.querySelectorAll('#quotes .speaker')].map(s => s.textContent)", 10, "the quotes"
            )
            assert {"Maria Zakharova", "Donald Trump"} <= set(speakers)
            confidences = browser.evaluate("[...document.querySelectorAll('#quotes .conf')].map(c => c.textContent)")
            assert confidences and all(re.fullmatch(r"\d{1,3}%", c) for c in confidences), confidences
            stances = browser.evaluate(
                "[...document.querySelectorAll('#stances .stance')].map(s => "
                "s.dataset.actor + ' ' + s.querySelector('.verb').textContent + ' ' + "
                "s.dataset.target)"
            )
            assert {"Russia backs Nicolas Maduro", "Donald Trump opposes Russia"} <= set(stances), stances
            # The map colours the seed's countries (world-atlas ids are ISO numeric: 862 is Venezuela).
            coloured = browser.wait_for(
                "[...document.querySelectorAll('#map path.counted')].map(p => p.dataset.numeric)", 10, "the map"
            )
            assert set(coloured) == {"862", "643", "840"}
            for window in ("1h", "1d"):  # the seed was published just now: this hour and today count it all
                browser.evaluate(f"document.querySelector('#windows button[data-window=\"{window}\"]').click()")
                assert _bars(browser) == {"RU": 15, "VE": 11, "US": 2}
            browser.evaluate("document.querySelector('#windows button[data-window=\"all\"]').click()")
            time.sleep(1)  # the bars' transition
            browser.screenshot(shots / "live-after-demo.png")
            assert browser.errors() == []

            browser.evaluate("window.notReloaded = true")
            states = browser.evaluate("window.liveStates")
            published = time.monotonic()
            send([ONE_MORE])
            browser.wait_for(
                "(() => { const b = [...document.querySelectorAll('#bars .bar-row')]"
                ".map(r => r.dataset.country); return b.includes('JP') && b.includes('BR'); })()",
                30,
                "the new article's countries",
            )
            browser.wait_for(
                "[...document.querySelectorAll('#quotes .speaker')].some(s => s.textContent === 'Shigeru Ishiba')",
                10,
                "the new article's quote",
            )
            updated_s = time.monotonic() - published
            assert browser.evaluate("window.notReloaded") is True, "the page reloaded instead of updating"
            assert browser.evaluate("window.liveStates") > states
            assert _bars(browser)["RU"] == 15 and _bars(browser)["JP"] >= 1
            first = browser.evaluate("document.querySelector('#quotes .quote blockquote').textContent")
            assert "new chapter" in first  # the newest article's quotes come first
            assert "Brazil backs Japan" in browser.evaluate(
                "[...document.querySelectorAll('#stances .stance')].map(s => s.dataset.actor + ' ' + "
                "s.querySelector('.verb').textContent + ' ' + s.dataset.target)"
            )
            time.sleep(1.5)
            browser.screenshot(shots / "live-after-one-more.png")
            assert browser.errors() == []
        print(
            f"live page: loaded in {loaded_s:.1f} s, updated {updated_s:.1f} s after publishing "
            f"(including the worker's processing)"
        )

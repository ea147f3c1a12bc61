"""`newswire bench`, a small smoke run against the session's real broker (no timing thresholds)."""

from __future__ import annotations

import json
import math
from pathlib import Path
from types import SimpleNamespace

import pytest

from streams.cli import main as cli
from streams.settings import get_settings
from streams.tools.bench import BenchError, Stalled, paced_articles, percentile, resolve_corpus, wait_drained

CORPUS = Path(__file__).parents[1] / "fixtures" / "bench" / "articles.jsonl"

KEYS = {
    "articles_per_s",
    "spacy_full_articles_per_s",
    "ratio_vs_spacy_full",
    "ratio_vs_spacy_same_components",
    "workers",
    "scaling_vs_1_worker",
    "spacy_2proc_scaling",
    "p50_s",
    "p99_s",
    "rss_mib",
}


def test_percentile_interpolates_like_numpy():
    assert percentile([1.0], 99) == 1.0
    assert percentile([1.0, 2.0, 3.0, 4.0], 50) == 2.5
    assert percentile(list(map(float, range(101))), 99) == pytest.approx(99.0)
    assert math.isnan(percentile([], 50))


def test_paced_articles_repeat_with_new_ids():
    articles = [{"id": "a", "text": "x"}, {"id": "b", "text": "y"}]
    assert [a["id"] for a in paced_articles(articles, 5)] == ["a", "b", "a~1", "b~1", "a~2"]


def test_a_missing_corpus_is_a_clear_error(tmp_path):
    with pytest.raises(BenchError, match="--corpus"):
        resolve_corpus(tmp_path / "nope.jsonl")


class _Watch:
    """A LagWatch whose lag follows a script (the last value repeats)."""

    def __init__(self, *lags: int) -> None:
        self.lags, self.partitions = list(lags), [SimpleNamespace(topic="news.articles", partition=0)]

    def lag(self) -> int:
        return self.lags.pop(0) if len(self.lags) > 1 else self.lags[0]

    def lag_by_partition(self) -> dict[int, int]:
        return {0: self.lags[0]}


def _worker(returncode=None):
    return SimpleNamespace(process=SimpleNamespace(poll=lambda: returncode, returncode=returncode), log_path="w.log")


def test_wait_drained_returns_once_the_lag_is_zero_and_says_why_it_gave_up():
    wait_drained(_Watch(3, 1, 0), [_worker()], timeout=10, what="a phase")
    with pytest.raises(Stalled, match=r"a phase: no committed progress .*\{0: 2\}"):
        wait_drained(_Watch(2), [_worker()], timeout=10, what="a phase", stall_timeout=0.6)
    with pytest.raises(BenchError, match=r"a phase did not finish within 1 s \(1 records left\)"):
        wait_drained(_Watch(2, 1), [_worker()], timeout=1, what="a phase", stall_timeout=60)
    exited = _worker(returncode=-9)
    exited.log_tail = lambda: "killed"
    with pytest.raises(BenchError, match="a worker exited \\(code -9\\) during a phase"):
        wait_drained(_Watch(5), [exited], timeout=10, what="a phase")


@pytest.mark.kafka
@pytest.mark.slow
@pytest.mark.timeout(900)
def test_bench_smoke_run_prints_a_table_and_a_json_line_last(kafka, kafka_settings, monkeypatch, capsys):
    for name, value in kafka_settings.as_env().items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    try:
        code = cli.main(
            [
                "bench",
                "--corpus",
                str(CORPUS),
                "--articles",
                "12",
                "--workers",
                "1",
                "--rate",
                "4",
                "--latency-seconds",
                "2",
            ]
        )
    finally:
        get_settings.cache_clear()
    captured = capsys.readouterr()
    out = captured.out
    print(out, captured.err[-5000:], sep="\n")  # shown by pytest if an assertion below fails
    assert code == 0, captured.err
    lines = out.strip().splitlines()
    assert any(line.startswith("spaCy nlp.pipe, full pipeline") for line in lines), out
    assert any(line.startswith("spaCy nlp.pipe, full, numpy BLAS") for line in lines), out
    assert any(line.startswith("newswire, 1 worker, backlog") for line in lines), out

    result = json.loads(lines[-1])
    assert KEYS <= result.keys()
    assert result["articles"] == 12 and result["workers"] == 1
    for key in (
        "articles_per_s",
        "spacy_full_articles_per_s",
        "spacy_full_numpy_blas_articles_per_s",
        "spacy_same_components_articles_per_s",
        "ratio_vs_spacy_full_numpy_blas",
        "spacy_2proc_articles_per_s",
        "ratio_vs_spacy_full",
        "ratio_vs_spacy_same_components",
        "spacy_2proc_scaling",
        "words_per_s",
    ):
        assert result[key] > 0, key
    assert result["scaling_vs_1_worker"] == 1.0
    assert result["latency_articles"] == 8  # 4/s for 2 s, every one of them finished with its events
    assert 0 < result["p50_s"] <= result["p99_s"] < 60
    assert 50 < result["rss_mib"] < 4096
    assert result["dead_lettered"] == 0 and result["articles_without_events"] == 0
    assert result["events"] > 12  # every article has entities and country mentions

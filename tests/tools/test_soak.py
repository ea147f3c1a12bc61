"""The soak's own judgement of its figures (no Kafka): memory growth is the RSS level, not one peak."""

from streams.tools.soak import RSS_GROWTH_LIMIT, Watch, passed

MIB = 1024 * 1024


def _watch(rss_mib: list[float], every_s: float = 2.0) -> Watch:
    watch = Watch()
    watch.samples = [
        {"t": i * every_s, "lag": 0, "steady_rss": int(r * MIB), "faulty_rss": None} for i, r in enumerate(rss_mib)
    ]
    return watch


def test_a_batch_peak_is_not_growth_but_a_rising_level_is():
    flat = [400.0] * 900  # 30 minutes at a level
    flat[450] = 470.0  # one sample mid-batch
    memory = _watch(flat).memory(warmup_s=0)
    assert memory["steady_rss_growth"] == 0 and memory["steady_rss_peak_growth"] > 0.15
    assert memory["steady_rss_max_mib"] == 470.0

    rising = [400.0 + i * 0.05 for i in range(900)]  # +45 MiB over the run: a leak
    memory = _watch(rising).memory(warmup_s=0)
    assert memory["steady_rss_growth"] > RSS_GROWTH_LIMIT
    assert memory["steady_rss_after_warmup_mib"] < memory["steady_rss_end_mib"]
    assert memory["steady_rss_levels_mib"] == sorted(memory["steady_rss_levels_mib"])  # rising span by span
    assert len(memory["steady_rss_levels_mib"]) == 3  # 30 minutes of 2 s samples, in 10-minute spans


def test_the_warm_up_is_left_out_and_the_verdict_follows_the_level():
    warm_then_flat = [300.0 + i for i in range(150)] + [450.0] * 600  # 5 minutes filling caches, then flat
    memory = _watch(warm_then_flat).memory(warmup_s=300)
    assert memory["steady_rss_after_warmup_mib"] == 450.0 and memory["steady_rss_growth"] == 0
    assert memory["steady_rss_levels_mib"] == [450.0, 450.0]  # levelled off
    figures = {"lost": 0, "duplicated": 0, "faults_not_recovered_before_next": 0, **memory}
    assert passed(figures)
    assert not passed({**figures, "steady_rss_growth": RSS_GROWTH_LIMIT + 0.01})

"""Does the worker's analysis path grow in memory over a long run? Figures without Kafka.

Runs what the agent's `_analyse_batch` runs (streams/runtime/agents.py): `parse_article` on the record's
bytes, `streams.nlp.analyze_articles` on a batch, `events_for` on each analysis, the events JSON-encoded,
over the BBC corpus in batches of NEWSWIRE_BATCH_SIZE, looping it. Each loop after the first re-publishes
the corpus under new ids as `newswire soak` does (`-r1`, `-r2`, ...: same text); `--updates` instead
appends " (Update N.)" to each text as `streams.tools.faults.corpus` does past the corpus's length.

Every `--every` articles it prints one line: articles done, RSS (MiB, from /proc/self/status), the
size of spaCy's StringStore and Vocab (the lexemes it indexes: `len(nlp.vocab)` counts every lexeme
ever made, those a memory zone dropped too), the entries of our caches (the morphology table, the lru_caches
of streams.nlp), and with `--tracemalloc` the lines whose allocations grew most since the last line.
The last line is one JSON object: RSS and vocabulary after the first loop (the warm-up) and at the end,
and the RSS growth as `newswire soak` reckons it: the most after the warm-up over the RSS at its end.
`--trim` adds the RSS after handing free heap memory back (glibc malloc_trim): what is live.

    PYTHONPATH=. .venv/bin/python scripts/memory_growth.py [--articles 6000] [--every 500] [--tracemalloc]
"""

from __future__ import annotations

import argparse
import ctypes
import ctypes.util
import gc
import itertools
import json
import sys
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script from a checkout: the project first on the path

from streams.domain.events import events_for  # noqa: E402
from streams.domain.intake import parse_article  # noqa: E402
from streams.nlp import analyze_articles, load_pipeline  # noqa: E402
from streams.settings import SHARED_CORPUS, get_settings  # noqa: E402


def rss_mib(field: str = "VmRSS") -> float:
    """A memory figure of this process, in MiB: VmRSS, or its parts RssAnon (heap) and RssFile (mapped files)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no {field} in /proc/self/status")


def malloc_trim() -> bool:
    """Hand the C heap's free memory back to the OS (glibc's malloc_trim); False where there is none."""
    name = ctypes.util.find_library("c")
    libc = ctypes.CDLL(name) if name else None
    if libc is None or not hasattr(libc, "malloc_trim"):
        return False
    libc.malloc_trim(0)
    return True


def records(path: Path, updates: bool):
    """The corpus's records as the soak publishes them: loop 0 as is, loop N under new ids (or texts)."""
    base = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    for round_ in itertools.count():
        for record in base:
            article = {"id": record["id"], "text": record["text"]}
            if record.get("title"):
                article["title"] = record["title"]
            if round_:
                if updates:
                    article["id"] = f"{record['id']}-v{round_}"
                    article["text"] = f"{record['text']} (Update {round_}.)"
                else:
                    article["id"] = f"{record['id']}-r{round_}"
            yield json.dumps(article, ensure_ascii=False).encode("utf-8")


def cache_sizes(nlp) -> dict[str, int]:
    """Entries of the caches that live as long as the process."""
    sizes = {}
    for name, component in nlp.components:
        cache = getattr(component, "_cache", None)
        if isinstance(cache, dict):
            sizes[name] = len(cache) + len(getattr(component, "_older", {}))
    for module in [m for n, m in sorted(sys.modules.items()) if n.startswith("streams.") and m is not None]:
        for attr, value in list(vars(module).items()):
            info = getattr(value, "cache_info", None)
            if callable(info) and getattr(value, "__module__", None) == module.__name__:
                sizes[f"{module.__name__.removeprefix('streams.')}.{attr}"] = info().currsize
    return sizes


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=6000)
    parser.add_argument("--every", type=int, default=500)
    parser.add_argument("--corpus", type=Path, default=SHARED_CORPUS)
    parser.add_argument("--updates", action="store_true", help="new texts per loop, not only new ids")
    parser.add_argument("--tracemalloc", action="store_true", help="top growing allocation sites (slow)")
    parser.add_argument("--frames", type=int, default=1, help="traceback depth of --tracemalloc")
    parser.add_argument(
        "--trim", action="store_true", help="also the RSS after malloc_trim(0) at each line: live memory, not free"
    )
    parser.add_argument("--top", type=int, default=8)
    args = parser.parse_args()

    s = get_settings()
    nlp = load_pipeline(s.model, s.blas)
    nlp.max_length = max(nlp.max_length, s.max_text_chars + 1)
    corpus_size = sum(1 for line in args.corpus.open(encoding="utf-8") if line.strip())
    if args.tracemalloc:
        tracemalloc.start(args.frames)
    snapshot = tracemalloc.take_snapshot() if args.tracemalloc else None
    source = records(args.corpus, args.updates)
    done = events = 0
    warm: dict | None = None
    after_warm: list[dict] = []  # the lines from the warm one on: the soak's "max after warm-up"
    started = time.perf_counter()
    print(f"spaCy pipeline {s.model}, batch {s.batch_size}, corpus {corpus_size} articles", file=sys.stderr)

    def figures() -> dict:
        row = {
            "articles": done,
            "rss_mib": round(rss_mib(), 1),
            "anon_mib": round(rss_mib("RssAnon"), 1),
            "file_mib": round(rss_mib("RssFile"), 1),
            "strings": len(nlp.vocab.strings),
            "vocab": sum(1 for _ in nlp.vocab),  # lexemes indexed (len(nlp.vocab) counts every one ever made)
            "caches": cache_sizes(nlp),
        }
        if args.tracemalloc:
            row["traced_mib"] = round(tracemalloc.get_traced_memory()[0] / 2**20, 1)
        if args.trim and malloc_trim():
            row["rss_trimmed_mib"] = round(rss_mib(), 1)
        return row

    while done < args.articles:
        lines = list(itertools.islice(source, min(s.batch_size, args.articles - done)))
        articles = [
            parse_article(line, None, s.max_article_bytes, s.max_text_chars, s.naive_timezone) for line in lines
        ]
        analyses = analyze_articles([a.as_dict() for a in articles], nlp, s.batch_size)
        for article, analysis in zip(articles, analyses, strict=True):
            for e in events_for(analysis, article.published_at, article.published_at_assumed, article.dropped):
                json.dumps(e.value, ensure_ascii=False).encode("utf-8")
                events += 1
        before = done
        done += len(lines)
        if before // args.every != done // args.every or done >= args.articles:
            gc.collect()
            row = figures()
            row["seconds"] = round(time.perf_counter() - started, 1)
            print(json.dumps(row), flush=True)
            if warm is None and done >= corpus_size:
                warm = row
            if warm is not None:
                after_warm.append(row)
            if snapshot is not None:
                now = tracemalloc.take_snapshot()
                for stat in now.compare_to(snapshot, "lineno")[: args.top]:
                    print(f"    {stat}", flush=True)
                snapshot = now
    end = after_warm[-1] if after_warm else figures()
    warm = warm or end
    rss_max = max(r["rss_mib"] for r in after_warm or [end])
    print(
        json.dumps(
            {
                "articles": done,
                "events": events,
                "warm_after_articles": warm["articles"],
                "rss_warm_mib": warm["rss_mib"],
                "rss_end_mib": end["rss_mib"],
                "rss_max_mib": rss_max,
                "rss_growth": round(rss_max / warm["rss_mib"] - 1, 4),
                **(
                    {
                        "rss_trimmed_warm_mib": warm["rss_trimmed_mib"],
                        "rss_trimmed_end_mib": end["rss_trimmed_mib"],
                        "rss_trimmed_growth": round(end["rss_trimmed_mib"] / warm["rss_trimmed_mib"] - 1, 4),
                    }
                    if "rss_trimmed_mib" in warm and "rss_trimmed_mib" in end
                    else {}
                ),
                "strings_warm": warm["strings"],
                "strings_end": end["strings"],
                "vocab_warm": warm["vocab"],
                "vocab_end": end["vocab"],
                "seconds": round(time.perf_counter() - started, 1),
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The `newswire` command."""

from __future__ import annotations

import argparse
import json
import signal
import sys
from pathlib import Path

from streams.errors import NewswireError
from streams.settings import PROJECT_ROOT, get_settings


def _analyze(args) -> int:
    from streams.nlp import analyze_article, load_pipeline

    try:
        raw = sys.stdin.read() if args.file == "-" else Path(args.file).read_text(encoding="utf-8")
    except OSError as error:
        raise NewswireError(f"{args.file}: {error.strerror}", "pass a text or JSON file, or - for stdin") from None
    try:
        article = json.loads(raw)
    except ValueError:
        article = None
    if not (isinstance(article, dict) and isinstance(article.get("text"), str)):
        article = {"text": raw}  # plain text
    if args.file != "-" and "id" not in article:
        article["id"] = Path(args.file).stem
    settings = get_settings()
    result = analyze_article(article, load_pipeline(settings.model, settings.blas))
    print(json.dumps(result, ensure_ascii=False, indent=args.indent))
    return 0


def _worker(args) -> int:
    from streams.kafka.clients import ensure_topics

    settings = get_settings()
    created = ensure_topics(settings)
    if created:
        print(f"created topics: {', '.join(created)}", file=sys.stderr)
    from streams.runtime.app import app

    sys.argv = ["newswire worker", "worker", "--loglevel", args.loglevel]
    app.main()
    return 0


def _publish(args) -> int:
    from streams.kafka.clients import producer
    from streams.kafka.publisher import publish, read_articles

    settings = get_settings()
    articles = list(read_articles(args.paths))
    kafka_producer = producer(settings)
    try:
        sent, acknowledged = publish(
            kafka_producer, args.topic or settings.topic_articles, articles, total=len(articles)
        )
    finally:
        kafka_producer.close()
    print(f"{acknowledged} of {sent} articles acknowledged by the broker", file=sys.stderr)
    return 0 if acknowledged == sent else 1


def _tail(args) -> int:
    from streams.kafka.subscriber import tail

    for record in tail(
        get_settings(),
        [args.topic],
        from_beginning=args.from_beginning,
        max_records=args.max,
        idle_timeout=args.idle_timeout,
    ):
        print(json.dumps(record if args.meta else record["value"], ensure_ascii=False), flush=True)
    return 0


def _broker(args) -> int:
    from streams.tools.broker import LocalBroker

    if args.nodes > 1:
        return _cluster(args)
    broker = LocalBroker(get_settings())
    if args.action == "start":
        broker.start(timeout=args.timeout)
        print(f"Kafka is ready on {broker.bootstrap_servers}", file=sys.stderr)
    elif args.action == "stop":
        broker.stop()
        print("Kafka stopped", file=sys.stderr)
    else:
        status = broker.status()
        print(json.dumps(status))
        return 0 if status["ready"] else 3
    return 0


def _cluster(args) -> int:
    from streams.tools.cluster import LocalCluster

    cluster = LocalCluster(get_settings(), nodes=args.nodes)
    if args.action == "start":
        cluster.start(timeout=args.timeout)
        print(
            f"Kafka cluster of {cluster.size} nodes ready on {cluster.bootstrap_servers}; point the project at it:\n"
            f"export NEWSWIRE_BOOTSTRAP_SERVERS={cluster.bootstrap_servers} "
            f"NEWSWIRE_TOPIC_REPLICATION={cluster.replication}",
            file=sys.stderr,
        )
    elif args.action == "stop":
        cluster.stop()
        print(f"Kafka cluster of {cluster.size} nodes stopped", file=sys.stderr)
    else:
        status = cluster.status()
        print(json.dumps(status))
        return 0 if all(node["ready"] for node in status["nodes"]) else 3
    return 0


def _countries(args) -> int:
    from streams.cli.countries import default_url, fetch, render_country, render_top

    if args.version:  # a reprocessed version's tables, from their changelogs (streams.tools.reprocess)
        from streams.tools.reprocess import query_tables

        answer = query_tables(get_settings(), args.version, args.country, args.window, args.at, args.limit)
    else:
        answer = fetch(args.url or default_url(get_settings()), args.country, args.window, args.at, args.limit)
    if args.json:
        print(json.dumps(answer, ensure_ascii=False))
    else:
        print(render_country(answer) if args.country else render_top(answer))
    return 0


def _demo(args) -> int:
    from streams.cli.demo import run_demo

    run_demo(get_settings(), seeds=args.seeds or None, keep_running=args.keep_running)
    return 0


def _bench(args) -> int:
    from streams.tools.bench import BenchOptions, run_bench

    options = BenchOptions(
        corpus=args.corpus,
        articles=args.articles,
        workers=args.workers,
        partitions=args.partitions,
        rate=args.rate,
        latency_seconds=args.latency_seconds,
        spacy_batch_size=args.spacy_batch_size,
        timeout=args.timeout,
        keep_topics=args.keep_topics,
        repeat=args.repeat,
    )
    run_bench(get_settings(), options)
    return 0


def _eval(args) -> int:
    from streams.eval import format_report, run_eval
    from streams.eval.matching import Errors
    from streams.nlp import load_pipeline

    errors = {"ours": Errors(), "baseline": Errors()} if args.errors else None
    settings = get_settings()
    report = run_eval(
        args.gold,
        load_pipeline(settings.model, settings.blas),
        corpus=args.corpus,
        with_baseline=not args.no_baseline,
        batch_size=args.batch_size,
        limit=args.limit,
        errors=errors,
        show_errors=not args.summary,
    )
    if errors is not None:
        try:
            with open(args.errors, "w", encoding="utf-8") as out:
                for system, found in errors.items():
                    for item in found.items:
                        out.write(json.dumps({"system": system, **item}, ensure_ascii=False) + "\n")
        except OSError as error:
            raise NewswireError(f"--errors {args.errors}: {error.strerror}", "pass a writable file path") from None
    if args.json:
        print(json.dumps(report, ensure_ascii=False))
    else:
        print(format_report(report))
    return 0


def _train(args) -> int:
    from streams.nlp import load_pipeline
    from streams.nlp.attribution.rebuild import rebuild

    for path in [args.polnear, *args.gold]:
        if not path.is_file():
            raise NewswireError(
                f"{path}: no such file",
                "PolNeAR's training split and the gold files are in the "
                "team's shared/eval/ and eval/; pass --polnear and --gold",
            )
    try:
        import sklearn  # noqa: F401  (the calibration)
    except ImportError:
        raise NewswireError("`newswire train` needs scikit-learn", "pip install -e '.[train]'") from None
    settings = get_settings()
    out = args.out or PROJECT_ROOT / "streams" / "nlp" / "attribution" / "attribution-model.json.gz"
    meta = rebuild(
        load_pipeline(settings.model, settings.blas),
        args.polnear,
        args.gold,
        out=out,
        seed=args.seed,
        cache=args.cache,
        corpus=args.corpus,
    )
    print(json.dumps({"newswire_train": meta}, ensure_ascii=False, sort_keys=True))
    return 0


def _soak(args) -> int:
    from streams.tools.soak import main as soak_main

    return soak_main(
        get_settings(),
        args.minutes,
        seed=args.seed,
        rate=args.rate,
        fault_every_s=args.fault_every,
        warmup_minutes=args.warmup_minutes,
        nodes=args.nodes,
    )


def _reprocess(args) -> int:
    from streams.tools.reprocess import reprocess

    return reprocess(
        get_settings(),
        args.since,
        until=args.until,
        version=args.extractor_version,
        allow_live_version=args.allow_live_version,
        web_port=args.web_port,
        loglevel=args.loglevel,
    )


def _fuzz(args) -> int:
    try:
        from streams.tools.fuzz import campaign
    except ModuleNotFoundError as error:  # hypothesis is an extra
        raise NewswireError(
            f"newswire fuzz needs {error.name}", hint="install it: .venv/bin/pip install 'newswire-streams[fuzz]'"
        ) from None
    return campaign(get_settings(), args.examples, seed=args.seed, report=args.report)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="newswire", description="News articles in, explainable events out, on Kafka.")
    commands = parser.add_subparsers(dest="command", required=True)

    analyze = commands.add_parser("analyze", help="print the extraction for one article, without Kafka")
    analyze.add_argument(
        "file", nargs="?", default="-", help="plain text or the JSON of a news.articles value; - for stdin"
    )
    analyze.add_argument("--indent", type=int, default=None, help="pretty-print with this indent")
    analyze.set_defaults(run=_analyze)

    worker = commands.add_parser("worker", help="run a Faust worker (same as `faust -A streams.runtime.app worker`)")
    worker.add_argument("--loglevel", "-l", default="info")
    worker.set_defaults(run=_worker)

    publish = commands.add_parser("publish", help="publish articles: text files, folders, JSONL")
    publish.add_argument("paths", nargs="+")
    publish.add_argument("--topic", help="default: NEWSWIRE_TOPIC_ARTICLES")
    publish.set_defaults(run=_publish)

    tail = commands.add_parser("tail", help="print a topic's records as JSON lines")
    tail.add_argument("topic")
    tail.add_argument("--from-beginning", action="store_true")
    tail.add_argument("--max", type=int, default=None, help="stop after N records")
    tail.add_argument("--idle-timeout", type=float, default=None, help="stop after S seconds without a record")
    tail.add_argument("--meta", action="store_true", help="print topic, partition, offset, key and headers too")
    tail.set_defaults(run=_tail)

    broker = commands.add_parser("broker", help="the local Apache Kafka broker")
    broker.add_argument("action", choices=["start", "stop", "status"])
    broker.add_argument("--timeout", type=float, default=90)
    broker.add_argument(
        "--nodes",
        type=int,
        default=1,
        help="1: one broker; 3: a local cluster of three KRaft nodes, replication 3, min ISR 2",
    )
    broker.set_defaults(run=_broker)

    countries = commands.add_parser(
        "countries", help="country mentions from the workers' tables (top N, or one country)"
    )
    countries.add_argument("country", nargs="?", help="an ISO 3166-1 alpha-2 code: that country's windows")
    countries.add_argument(
        "--window",
        choices=["all", "1h", "1d"],
        default="all",
        help="all-time totals (default) or the hourly / daily window holding --at",
    )
    countries.add_argument("--at", help="a time in the window, RFC 3339 (default: now)")
    countries.add_argument("--limit", type=int, default=20, help="how many countries; 0 for all (default 20)")
    countries.add_argument(
        "--version",
        metavar="LABEL",
        help="the tables of extractor version LABEL built by `newswire reprocess`, read from their changelogs",
    )
    countries.add_argument(
        "--url", help="a worker's HTTP address (default: http://NEWSWIRE_WEB_HOST:NEWSWIRE_WEB_PORT)"
    )
    countries.add_argument("--json", action="store_true", help="print the worker's JSON answer")
    countries.set_defaults(run=_countries)

    demo = commands.add_parser("demo", help="broker + worker + seed articles, events and counts printed")
    demo.add_argument("seeds", nargs="*", help="article files or folders (default: seeds/)")
    demo.add_argument("--keep-running", action="store_true", help="leave broker and worker running until Ctrl-C")
    demo.set_defaults(run=_demo)

    bench = commands.add_parser(
        "bench", help="end-to-end throughput, latency and memory through Kafka, next to bare spaCy"
    )
    bench.add_argument(
        "--corpus",
        type=Path,
        default=None,
        help="JSONL articles (default: ../shared/corpus/bbc-news.jsonl when present)",
    )
    bench.add_argument("--articles", "-n", type=int, default=400, help="articles per run (default 400)")
    bench.add_argument("--workers", "-w", type=int, default=2, help="measure 1..W workers (default 2)")
    bench.add_argument(
        "--partitions",
        type=int,
        default=None,
        help="partitions of the fresh topics (default: max(NEWSWIRE_TOPIC_PARTITIONS, W))",
    )
    bench.add_argument(
        "--rate",
        type=float,
        default=None,
        help="articles/s of the latency run (default: half the best end-to-end throughput)",
    )
    bench.add_argument(
        "--latency-seconds",
        type=float,
        default=30,
        help="length of the paced latency run, seconds (0: skip it; default 30)",
    )
    bench.add_argument(
        "--spacy-batch-size",
        type=int,
        default=None,
        help="nlp.pipe batch size of the bare-spaCy runs (default: the model's own)",
    )
    bench.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="run each throughput measurement N times and keep the best (a noisy machine only slows)",
    )
    bench.add_argument("--timeout", type=float, default=3600, help="longest wait for one run to drain, seconds")
    bench.add_argument("--keep-topics", action="store_true", help="keep the runs' topics and groups (default: deleted)")
    bench.set_defaults(run=_bench)

    evaluate = commands.add_parser(
        "eval",
        help="precision/recall of quotes, speakers, stances and countries on gold "
        "files, next to a textacy + country_converter baseline",
    )
    evaluate.add_argument("gold", nargs="+", type=Path, help="gold JSONL files (GUIDELINE format or PolNeAR)")
    evaluate.add_argument(
        "--corpus",
        type=Path,
        default=None,
        help="JSONL corpus that gold records without text refer to "
        "(default: ../shared/corpus/bbc-news.jsonl next to the project)",
    )
    evaluate.add_argument("--no-baseline", action="store_true", help="only our extraction")
    evaluate.add_argument("--limit", type=int, default=None, help="first N articles of each file")
    evaluate.add_argument("--batch-size", type=int, default=16, help="nlp.pipe batch size (default 16)")
    evaluate.add_argument(
        "--errors", metavar="FILE", help="write every miss, spurious item and wrong speaker here (JSONL)"
    )
    evaluate.add_argument("--json", action="store_true", help="print only the JSON report")
    evaluate.add_argument(
        "--summary",
        action="store_true",
        help="figures only, no list of wrong speakers and missed stances (for a held-out set)",
    )
    evaluate.set_defaults(run=_eval)

    shared_eval = PROJECT_ROOT.parent / "shared" / "eval"
    train = commands.add_parser(
        "train", help="rebuild the shipped attribution and speaker model (reproducible, fixed seed)"
    )
    train.add_argument(
        "--polnear",
        type=Path,
        default=shared_eval / "polnear-train.jsonl",
        help="PolNeAR training split (default: ../shared/eval/polnear-train.jsonl)",
    )
    train.add_argument(
        "--gold",
        type=Path,
        nargs="*",
        default=[
            PROJECT_ROOT / "eval" / "fundus-dev.jsonl",
            PROJECT_ROOT / "eval" / "bbc-gold.jsonl",
            shared_eval / "seed-gold.jsonl",
        ],
        help="guideline gold files the speaker model learns from (default: the dev half of "
        "eval/fundus-*, eval/bbc-gold.jsonl, the seed); never the held-out half",
    )
    train.add_argument("--out", type=Path, default=None, help="model file (default: the shipped one)")
    train.add_argument("--seed", type=int, default=13)
    train.add_argument("--cache", type=Path, default=None, help="keep parsed articles here between runs")
    train.add_argument("--corpus", type=Path, default=None, help="corpus the gold records refer to (as for eval)")
    train.set_defaults(run=_train)

    soak = commands.add_parser("soak", help="publish load while injecting faults at random; print lost and duplicated")
    soak.add_argument("--minutes", type=float, default=10.0, help="how long to publish and inject faults")
    soak.add_argument("--seed", type=int, default=None, help="random seed (fault kinds and timing)")
    soak.add_argument(
        "--rate",
        type=float,
        default=None,
        help="articles per second (default: half the throughput measured at the start)",
    )
    soak.add_argument(
        "--fault-every",
        type=float,
        default=180.0,
        help="mean seconds between faults (each wait drawn from 0.5x to 1.5x)",
    )
    soak.add_argument(
        "--warmup-minutes",
        type=float,
        default=5.0,
        help="minutes after which the steady worker's memory is the baseline for its growth",
    )
    soak.add_argument(
        "--nodes",
        type=int,
        default=1,
        help="1: one broker; 3: a local three-node cluster, broker kills among the faults",
    )
    soak.set_defaults(run=_soak)

    reprocess = commands.add_parser(
        "reprocess",
        help="re-analyse the retained articles into a new extractor version, beside the live one; ends when caught up",
    )
    reprocess.add_argument(
        "--since",
        required=True,
        help="from this time of the articles' records: ISO 8601 "
        "(2024-05-01T00:00:00Z) or relative (7d, 24h); all: the earliest",
    )
    reprocess.add_argument("--until", help="up to this time (default: the end of news.articles at start)")
    reprocess.add_argument(
        "--extractor-version",
        metavar="LABEL",
        help="the version to write (default: NEWSWIRE_EXTRACTOR_VERSION, else the code's)",
    )
    reprocess.add_argument(
        "--allow-live-version",
        action="store_true",
        help="reprocess even into the version the live pipeline already holds",
    )
    reprocess.add_argument(
        "--web-port",
        type=int,
        default=None,
        help="port of the run's views (its tables, /metrics) while it runs (default: a free one)",
    )
    reprocess.add_argument("--loglevel", "-l", default="warn", help="the worker's log level (its log goes to a file)")
    reprocess.set_defaults(run=_reprocess)

    fuzz = commands.add_parser(
        "fuzz", help="property-based fuzzing of intake -> extraction -> events, without Kafka; prints what it found"
    )
    fuzz.add_argument("--examples", type=int, default=10_000, help="records to try (default 10000)")
    fuzz.add_argument("--seed", type=int, default=None, help="random seed (default: a fixed, derandomised run)")
    fuzz.add_argument("--report", type=Path, default=None, help="also write the figures here (JSON)")
    fuzz.set_defaults(run=_fuzz)
    return parser


def main(argv: list[str] | None = None) -> int:
    # Behave like a Unix filter: `newswire tail ... | head` ends quietly.
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except NewswireError as error:  # the user's to fix: what went wrong and what to do, no traceback
        print(f"error: {error.message}", file=sys.stderr)
        if error.hint:
            print(f"hint: {error.hint}", file=sys.stderr)
        return error.exit_code


if __name__ == "__main__":
    sys.exit(main())

"""The `newswire` command."""

from __future__ import annotations

import argparse
import json
import signal
import sys
from pathlib import Path

from streams.settings import get_settings


def _analyze(args) -> int:
    from streams.nlp import analyze_article, load_pipeline

    raw = sys.stdin.read() if args.file == "-" else Path(args.file).read_text(encoding="utf-8")
    try:
        article = json.loads(raw)
    except ValueError:
        article = None
    if not (isinstance(article, dict) and isinstance(article.get("text"), str)):
        article = {"text": raw}  # plain text
    if args.file != "-" and "id" not in article:
        article["id"] = Path(args.file).stem
    result = analyze_article(article, load_pipeline(get_settings().model))
    print(json.dumps(result, ensure_ascii=False, indent=args.indent))
    return 0


def _worker(args) -> int:
    from streams.clients import ensure_topics

    settings = get_settings()
    created = ensure_topics(settings)
    if created:
        print(f"created topics: {', '.join(created)}", file=sys.stderr)
    from streams.app import app

    sys.argv = ["newswire worker", "worker", "--loglevel", args.loglevel]
    app.main()
    return 0


def _publish(args) -> int:
    from streams.clients import producer
    from streams.publisher import publish, read_articles

    settings = get_settings()
    articles = list(read_articles(args.paths))
    kafka_producer = producer(settings)
    try:
        sent, acknowledged = publish(kafka_producer, args.topic or settings.topic_articles, articles,
                                     total=len(articles))
    finally:
        kafka_producer.close()
    print(f"{acknowledged} of {sent} articles acknowledged by the broker", file=sys.stderr)
    return 0 if acknowledged == sent else 1


def _tail(args) -> int:
    from streams.subscriber import tail

    for record in tail(get_settings(), [args.topic], from_beginning=args.from_beginning,
                       max_records=args.max, idle_timeout=args.idle_timeout):
        print(json.dumps(record if args.meta else record["value"], ensure_ascii=False), flush=True)
    return 0


def _broker(args) -> int:
    from streams.broker import LocalBroker

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


def _demo(args) -> int:
    from streams.demo import run_demo

    run_demo(get_settings(), seeds=args.seeds or None, keep_running=args.keep_running)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="newswire", description="News articles in, explainable events out, on Kafka.")
    commands = parser.add_subparsers(dest="command", required=True)

    analyze = commands.add_parser("analyze", help="print the extraction for one article, without Kafka")
    analyze.add_argument("file", nargs="?", default="-", help="plain text or the JSON of a news.articles value; - for stdin")
    analyze.add_argument("--indent", type=int, default=None, help="pretty-print with this indent")
    analyze.set_defaults(run=_analyze)

    worker = commands.add_parser("worker", help="run a Faust worker (same as `faust -A streams.app worker`)")
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
    broker.set_defaults(run=_broker)

    demo = commands.add_parser("demo", help="broker + worker + seed articles, events and counts printed")
    demo.add_argument("seeds", nargs="*", help="article files or folders (default: seeds/)")
    demo.add_argument("--keep-running", action="store_true", help="leave broker and worker running until Ctrl-C")
    demo.set_defaults(run=_demo)
    return parser


def main(argv: list[str] | None = None) -> int:
    # Behave like a Unix filter: `newswire tail ... | head` ends quietly.
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    args = build_parser().parse_args(argv)
    from streams.broker import BrokerError
    from streams.clients import KafkaUnavailable
    from streams.publisher import InputError

    try:
        return args.run(args)
    except (BrokerError, KafkaUnavailable, InputError, FileNotFoundError, ValueError) as error:
        print(f"newswire {args.command}: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())

"""`newswire publish`: text files, folders and JSONL into `news.articles`, keyed by article id."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path

from tqdm import tqdm

from streams.domain.ids import article_id_for
from streams.domain.jsonl import read_jsonl
from streams.errors import NewswireError
from streams.kafka.plumbing import send_all


class InputError(NewswireError, ValueError):
    """A file given to `newswire publish` that holds no articles we can read."""


def _from_text(path: Path) -> dict:
    text = path.read_text(encoding="utf-8")
    return {"id": path.stem, "text": text}


def _from_json(path: Path) -> dict:
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as error:
        raise InputError(f"{path}: not JSON ({error})") from None
    if not isinstance(record, dict):
        raise InputError(f'{path}: must be a JSON object with a "text" string')
    return record


def _from_jsonl(path: Path) -> Iterator[dict]:
    for number, record in read_jsonl(path, InputError):
        if not isinstance(record.get("text"), str):
            raise InputError(f'{path}:{number}: each line must be an object with a "text" string')
        yield record


def read_articles(paths: Iterable[str]) -> Iterator[dict]:
    """Articles from files, folders (recursively, *.txt/*.json/*.jsonl) and JSONL; ids filled in."""
    for name in paths:
        path = Path(name)
        if not path.exists():
            raise InputError(f"{path}: no such file or folder")
        files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        for file in files:
            suffix = file.suffix.lower()
            if suffix == ".jsonl":
                records: Iterable[dict] = _from_jsonl(file)
            elif suffix == ".json":
                records = [_from_json(file)]
            elif suffix == ".txt" or not suffix:
                records = [_from_text(file)]
            else:
                continue  # not an article file
            for record in records:
                record = dict(record)
                if record.get("id") is not None:
                    record["id"] = str(record["id"])
                else:
                    record["id"] = article_id_for(record["text"], record.get("title"))
                yield record


def publish(
    producer, topic: str, articles: Iterable[dict], total: int | None = None, progress: bool | None = None
) -> tuple[int, int]:
    """Send articles keyed by id; return (sent, acknowledged by the broker)."""
    show = sys.stderr.isatty() if progress is None else progress
    records = (
        (article["id"].encode("utf-8"), json.dumps(article, ensure_ascii=False).encode("utf-8"))
        for article in tqdm(articles, total=total, unit="article", disable=not show, desc="publishing")
    )
    # a record not acknowledged is counted, and reported to the user
    acknowledged = send_all(producer, topic, records, timeout=30, strict=False)
    return len(acknowledged), sum(1 for metadata in acknowledged if metadata is not None)

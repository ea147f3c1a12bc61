"""The live page, served by every worker (Faust web):

    GET /                     the page (streams/runtime/live_static/index.html; no build step)
    GET /live/events          server-sent events: `state`, the page's data, at once and whenever it changes
    GET /live/state           the same data once, as JSON
    GET /live/static/{file}   the page's script and style, and the vendored d3, topojson-client, world-atlas

Quotes and stances come from their topics, read back `read_committed` by a consumer of this worker's own
(assigned every partition, no group: each worker sees all of them, as any subscriber would) into a
`streams.runtime.live.LiveFeed`; country counts from the tables, through `streams.runtime.views.countries_answer`. The
data is built at most once per `NEWSWIRE_LIVE_INTERVAL_S`, however many browsers watch.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from aiohttp import web as aiohttp_web
from faust import web
from kafka import TopicPartition

from streams.kafka import clients
from streams.kafka.subscriber import decode_record
from streams.runtime.app import app, settings
from streams.runtime.live import PAGE_WINDOWS, LiveFeed, page_state, sse_message
from streams.runtime.views import Unavailable, countries_answer

log = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).resolve().parent / "live_static"
#: the files served under /live/static/: only these, by their path below STATIC_DIR
STATIC_FILES = {
    path.relative_to(STATIC_DIR).as_posix(): path
    for path in sorted(STATIC_DIR.rglob("*"))
    if path.is_file() and path.name != "index.html"
}
KEEPALIVE_S = 15.0

feed = LiveFeed(quote_limit=settings.live_quotes, stance_seconds=settings.live_stance_minutes * 60)
_closing = asyncio.Event()


class FeedReader:
    """A kafka-python consumer of news.quotes and news.stances, read_committed, on all their partitions.

    It starts where the page needs history from: stances at the first record of the last
    `live_stance_minutes`, quotes a few records per shown quote before the end of each partition (a
    transaction marker takes an offset too). Only its own thread calls it (kafka-python is not thread-safe).
    """

    def __init__(self) -> None:
        self.kinds = {settings.topic_quotes: "quote", settings.topic_stances: "stance"}
        self.consumer = None

    def _open(self) -> bool:
        reader = clients.consumer(settings, enable_auto_commit=False, isolation_level="read_committed", group_id=None)
        partitions = [
            TopicPartition(topic, p) for topic in self.kinds for p in sorted(reader.partitions_for_topic(topic) or [])
        ]
        if {tp.topic for tp in partitions} != set(self.kinds):
            reader.close()
            return False  # the worker has not created its output topics yet
        reader.assign(partitions)
        ends, starts = reader.end_offsets(partitions), reader.beginning_offsets(partitions)
        since_ms = int((time.time() - settings.live_stance_minutes * 60) * 1000)
        stances = [tp for tp in partitions if self.kinds[tp.topic] == "stance"]
        with clients.deadline(
            settings, f"the offsets of the last {settings.live_stance_minutes:g} minutes of {settings.topic_stances}"
        ):
            found = reader.offsets_for_times({tp: since_ms for tp in stances})
        for tp in partitions:
            if self.kinds[tp.topic] == "stance":
                reader.seek(tp, found[tp].offset if found.get(tp) else ends[tp])
            else:
                reader.seek(tp, max(starts[tp], ends[tp] - 4 * settings.live_quotes))
        self.consumer = reader
        return True

    def poll(self) -> list[tuple[str, Any, float | None]]:
        """(kind, event value, record timestamp in seconds) of what arrived within half a second."""
        if self.consumer is None and not self._open():
            time.sleep(1)
            return []
        batches = self.consumer.poll(timeout_ms=500, max_records=500)
        return [
            (
                self.kinds[record.topic],
                decode_record(record)["value"],
                record.timestamp / 1000 if record.timestamp and record.timestamp > 0 else None,
            )
            for records in batches.values()
            for record in records
        ]

    def close(self) -> None:
        if self.consumer is not None:
            self.consumer.close()
            self.consumer = None


@app.task
async def read_live_feed() -> None:
    """Keep `feed` up to date with the quotes and stances committed to their topics."""
    io = ThreadPoolExecutor(max_workers=1, thread_name_prefix="live-feed")
    loop = asyncio.get_running_loop()
    reader = FeedReader()
    try:
        while True:
            try:
                for kind, value, timestamp in await loop.run_in_executor(io, reader.poll):
                    feed.add(kind, value, timestamp, time.time())
            except Exception as error:  # noqa: BLE001 - the page must not stop the worker: log, reopen, retry
                log.warning(
                    "live page: could not read %s and %s (%s: %s); retrying in 5 s",
                    settings.topic_quotes,
                    settings.topic_stances,
                    type(error).__name__,
                    error,
                )
                await loop.run_in_executor(io, reader.close)
                await asyncio.sleep(5)
    finally:
        _closing.set()
        io.submit(reader.close)
        io.shutdown(wait=False)


@app.on_before_shutdown.connect
async def _stop_streams(sender=None, **kwargs) -> None:
    _closing.set()  # open event streams end, so the web server stops without waiting for them


class PageState:
    """The page's data, built at most once per interval; the last good country answers are kept while the
    tables are unavailable (a rebalance), with a notice saying so."""

    def __init__(self) -> None:
        self.data: dict[str, Any] | None = None
        self.built = 0.0
        self.countries: dict[str, dict[str, Any] | None] = dict.fromkeys(PAGE_WINDOWS)
        self._lock = asyncio.Lock()

    async def get(self) -> dict[str, Any]:
        async with self._lock:
            now = time.time()
            if self.data is None or time.monotonic() - self.built >= settings.live_interval_s:
                answers = await asyncio.gather(
                    *(countries_answer(window, now, settings.live_countries) for window in PAGE_WINDOWS),
                    return_exceptions=True,
                )
                notice = None
                for window, answer in zip(PAGE_WINDOWS, answers, strict=True):
                    if isinstance(answer, Unavailable):
                        notice = f"country counts may be behind: {answer}"
                    elif isinstance(answer, BaseException):
                        raise answer
                    else:
                        self.countries[window] = answer
                feed.prune(now)
                self.data = page_state(self.countries, feed, now, notice)
                self.built = time.monotonic()
            return self.data


page = PageState()


def _change_key(data: dict[str, Any]) -> str:
    return json.dumps({k: v for k, v in data.items() if k != "generated_at"}, sort_keys=True)


@app.page("/")
class LivePage(web.View):
    async def get(self, request: web.Request) -> web.Response:
        return self.html((STATIC_DIR / "index.html").read_text(encoding="utf-8"))


@app.page("/live/state")
class LiveState(web.View):
    async def get(self, request: web.Request) -> web.Response:
        return self.json(await page.get())


@app.page("/live/events")
class LiveEvents(web.View):
    async def get(self, request: web.Request):
        response = aiohttp_web.StreamResponse(
            headers={
                "Content-Type": "text/event-stream; charset=utf-8",
                "Cache-Control": "no-cache",
                "X-Accel-Buffering": "no",
            }
        )  # a proxy in front must not buffer the stream
        await response.prepare(request)
        sent, last_write = None, time.monotonic()
        try:
            while not _closing.is_set():
                data = await page.get()
                key = _change_key(data)
                if key != sent:
                    await response.write(sse_message(data, retry_ms=2000 if sent is None else None))
                    sent, last_write = key, time.monotonic()
                elif time.monotonic() - last_write >= KEEPALIVE_S:
                    await response.write(b": keep-alive\n\n")  # a comment: finds closed connections
                    last_write = time.monotonic()
                try:
                    await asyncio.wait_for(_closing.wait(), settings.live_interval_s)
                except TimeoutError:
                    pass
        except ConnectionError:
            pass  # the browser went away
        return response


@app.page("/live/static/{name:.+}")
class LiveStatic(web.View):
    async def get(self, request: web.Request, name: str):
        path = STATIC_FILES.get(name)
        if path is None:
            return self.error(404, f"no such file: /live/static/{name}")
        return aiohttp_web.FileResponse(path, headers={"Cache-Control": "max-age=300"})

"""Faust's Kafka consumer, adjusted for our exactly-once design (streams.runtime.transactions).

Three changes to faust-streaming's aiokafka consumer, all small:

- it reads `read_committed`, as every subscriber should: the country tables must never count an event
  of an aborted transaction (Faust reads `read_committed` only in its own exactly-once mode, which we
  do not use: it cannot put an article's events in the transaction of the article's input partition);
- it leaves the offsets of news.articles to the transactions that emit the articles' events. Faust's own
  periodic commit of the same offsets would race them and could move a committed offset back;
- its gaps (offsets it does not deliver: transaction markers, aborted records) leave out the record after
  them, so its commits on a transactional topic keep up; `mark_done` adds the gaps it cannot see.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import faust
from faust.transport.consumer import ack_lock
from faust.transport.drivers import aiokafka as driver
from faust.types import TP


class _ReadCommittedThread(driver.AIOKafkaConsumerThread):
    def _create_worker_consumer(self, transport: Any):
        consumer = super()._create_worker_consumer(transport)
        # aiokafka reads the level when the consumer starts (its fetcher); Faust offers no setting for it.
        consumer._isolation_level = "read_committed"
        return consumer

    async def on_thread_stop(self) -> None:
        # With the broker gone, aiokafka's consumer can raise as it closes (a last fetch fails). Left
        # to propagate, the thread ends without marking itself shut down, and the worker waits out
        # mode's 60 s stop timeout before it exits on SIGTERM.
        try:
            await super().on_thread_stop()
        except Exception as exc:  # noqa: BLE001 - shutting down: nothing left to do with it but log
            self.log.warning("the Kafka consumer did not close cleanly: %r", exc)


class NewswireConsumer(driver.Consumer):
    #: topics whose offsets are committed in our own transactions, not by Faust
    transactional_topics: frozenset[str] = frozenset()

    def _new_consumer_thread(self) -> driver.AIOKafkaConsumerThread:
        return _ReadCommittedThread(self, loop=self.loop, beacon=self.beacon)

    async def _commit_offsets(self, offsets: Mapping[TP, int], start_new_transaction: bool = True) -> bool:
        ours = {tp: offset for tp, offset in offsets.items() if tp.topic not in self.transactional_topics}
        theirs = {tp: offset for tp, offset in offsets.items() if tp.topic in self.transactional_topics}
        if theirs:
            # Acked means its transaction committed: record it as committed, so Faust neither retries it
            # nor reports the partition as stalled.
            self._committed_offset.update(theirs)
        return await super()._commit_offsets(ours, start_new_transaction) if ours else bool(theirs)

    async def mark_done(self, tp: TP, start: int, end: int, last: bool = False) -> None:
        """Offsets [start, end) of `tp` are done though the stream never handed them out (transaction
        markers, aborted records, records an agent read back itself). Faust notes such a gap only between
        two records it delivers; it never commits past one it does not know.

        `last`: no record after them was handed out either. Faust commits a gap only below an offset acked
        after it, so the last offset is acked here, as Faust's `ack` would a delivered record's.
        """
        if last and end > start:
            end -= 1
            with ack_lock:
                committed = self._committed_offset[tp]
                if (committed is None or end >= committed) and end not in self._acked_index[tp]:
                    self._acked_index[tp].add(end)
                    self._acked[tp].append(end)
                    self._n_acked += 1
        await self._add_gap(tp, start, end)

    async def _add_gap(self, tp: TP, offset_from: int, offset_to: int) -> None:
        # Faust's fetch loop calls this with offset_to = the record it is delivering and puts that offset in
        # the gap as well; the record is acked on its own, and the duplicate in its list of acked offsets
        # breaks the run it commits. On a transactional topic (a gap at every marker) its commits then
        # crawl far behind (hundreds of records). Here the gap is [offset_from, offset_to).
        if offset_to > offset_from:
            await super()._add_gap(tp, offset_from, offset_to - 1)


class NewswireTransport(driver.Transport):
    Consumer = NewswireConsumer


class NewswireApp(faust.App):
    """faust.App on NewswireTransport. `transactional_topics` names the topics our transactions commit."""

    def __init__(self, *args: Any, transactional_topics: frozenset[str] = frozenset(), **kwargs: Any) -> None:
        self.transactional_topics = frozenset(transactional_topics)
        super().__init__(*args, **kwargs)

    def _new_transport(self):
        consumer_class = type("AppConsumer", (NewswireConsumer,), {"transactional_topics": self.transactional_topics})
        transport_class = type("AppTransport", (NewswireTransport,), {"Consumer": consumer_class})
        return transport_class(self.conf.broker_consumer, self)

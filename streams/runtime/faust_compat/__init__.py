"""Every Faust (faust-streaming 0.15.3) and aiokafka (0.14.0) workaround of the worker, behind one API.

| workaround | upstream issue | private API overridden | pinned by |
| --- | --- | --- | --- |
| Faust's consumer reads `read_committed` (`transport._ReadCommittedThread`) | none cited (Faust reads it only in its own exactly-once mode) | `AIOKafkaConsumerThread._create_worker_consumer`, aiokafka's `consumer._isolation_level` | tests/runtime/test_exactly_once.py (integration) |
| a consumer that fails as it closes does not hold SIGTERM up 60 s (`_ReadCommittedThread.on_thread_stop`) | none cited | `AIOKafkaConsumerThread.on_thread_stop` | tests/runtime/test_exactly_once.py (integration: worker kills and restarts) |
| news.articles offsets left to our transactions (`NewswireConsumer._commit_offsets`) | none cited | `Consumer._commit_offsets`, `Consumer._committed_offset` | tests/runtime/test_exactly_once.py |
| a gap is [start, end), not [start, end] (`NewswireConsumer._add_gap`) | none cited (related report: faust-streaming/faust#606, "Wrong offset commit in case of gaps") | `Consumer._add_gap` | tests/runtime/test_pipeline.py, tests/runtime/test_exactly_once.py (integration) |
| `app.consumer.mark_done(tp, start, end)`: ours, not Faust's; offsets the stream never handed out | none cited | `Consumer._add_gap` | tests/runtime/test_agents.py (CatchUp's mark_done) |
| the app on our transport (`NewswireApp`) | — | `App._new_transport` | every worker test |
| the last records of a partition dropped around a rebalance, where no later record reveals the hole: `streams.runtime.agents.read_stalled` and `count_stalled` (a timer: a partition with records left of which none was handed out for `NEWSWIRE_STALL_AFTER_S` is read from Kafka and processed or counted; for the table agent, `CatchUp.stalled`, the last offset is acked with `mark_done(..., last=True)` so that Faust commits through them) | faust-streaming/faust#216, #221 | `Consumer._acked`, `_acked_index`, `_committed_offset`, `_n_acked` (what Faust's `ack` sets) | tests/runtime/test_agents.py (`read_stalled`, `CatchUp.stalled`, `mark_done`), tests/runtime/test_exactly_once.py (integration) |
| records dropped around a rebalance, read back from Kafka: `in_order` (the article agent's hole check against its transactions' committed offset, with `PartitionReader.read_range`; up to a stop for `newswire reprocess`) and `CatchUp` (table agent) | faust-streaming/faust#216, #221 | none (read beside Faust's consumer) | tests/runtime/test_agents.py (`in_order`, `CatchUp`), tests/tools/test_reprocess.py (`in_order` with a stop) |
"""

from streams.runtime.faust_compat.partition_reader import CatchUp, PartitionReader, in_order
from streams.runtime.faust_compat.transport import NewswireApp

__all__ = ["CatchUp", "NewswireApp", "PartitionReader", "in_order"]

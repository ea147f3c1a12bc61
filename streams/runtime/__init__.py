"""The Faust worker: app, agents, exactly-once transactions, changelogs, views, lag, metrics."""

"""The `newswire` command (`streams.cli.main:main`; `python -m streams.cli`), `countries` and `demo`."""

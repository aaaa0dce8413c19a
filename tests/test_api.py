"""POST /api/ask on the real app (API and chat box mounted together), and `python app.py`."""

import asyncio
import json
import os
import socket
import subprocess
import sys
import threading
import time

import httpx
import pytest
from fastapi.testclient import TestClient

from lerassist.api import create_app
from lerassist.feedback import FeedbackLog
from lerassist.service import Service
from lerassist.settings import PROJECT_ROOT

ISSUING = "What do employers do in the Issuing phase?"


@pytest.fixture(scope="module")
def app(assistant, tmp_path_factory):
    return create_app(Service(assistant, FeedbackLog(tmp_path_factory.mktemp("api") / "feedback.jsonl")))


@pytest.fixture(scope="module")
def client(app):
    return TestClient(app)


def test_ask_returns_the_answer_object_of_ask_json(client, assistant):
    response = client.post("/api/ask", json={"question": ISSUING})
    assert response.status_code == 200
    body = response.json()
    assert body == json.loads(json.dumps(assistant.ask(ISSUING).to_dict()))
    assert body["citations"][0]["url"] == "https://lermap.t3networkhub.org/stakeholder/employers"
    assert body["citations"][0]["section"] == "Issuing phase" and "[1]" in body["text"]


def test_a_body_sent_without_a_json_content_type_is_still_read(client):
    """`curl -d '{...}'` sends application/x-www-form-urlencoded."""
    response = client.post("/api/ask", content=json.dumps({"question": ISSUING}), headers={"content-type": "application/x-www-form-urlencoded"})
    assert response.status_code == 200 and response.json()["stakeholder"] == "employers"


def test_history_carries_the_phase_and_stakeholder_into_follow_ups(client):
    funders = client.post("/api/ask", json={"question": "And funders?", "history": [ISSUING]}).json()
    assert (funders["stakeholder"], funders["phase"]) == ("funders", "issuing")
    assert funders["citations"][0]["url"].endswith("/stakeholder/funders")
    case = client.post("/api/ask", json={"question": "What about their business case?", "history": [ISSUING, "And funders?"]}).json()
    assert case["citations"][0]["url"].endswith("/stakeholder/funders")
    assert case["citations"][0]["section"] == "Business case"


def test_stakeholder_answers_from_that_page_only(client):
    body = client.post("/api/ask", json={"question": "What is their business case?", "stakeholder": "hr-systems"}).json()
    assert {c["url"] for c in body["citations"]} == {"https://lermap.t3networkhub.org/stakeholder/hr-systems"}
    assert body["citations"][0]["section"] == "Business case"


@pytest.mark.parametrize(
    "payload, message",
    [
        ({"question": "   "}, "Please type a question about the LER Ecosystem Map"),
        ({"question": "why " * 501}, "characters long; please keep it under 2,000 characters"),
        ({"question": "What is an LER?", "stakeholder": "astronauts"}, "Unknown stakeholder 'astronauts'; choose one of: career-navigators,"),
        ({}, "'question' is required"),
        ({"question": 42}, "'question' must be text"),
        ({"question": "And funders?", "history": "What do employers do?"}, "'history' must be a list of the earlier questions"),
        ({"question": "What is an LER?", "stakeholder": ["employers"]}, "'stakeholder' must be a slug"),
    ],
    ids=["empty", "oversized", "unknown-stakeholder", "missing", "not-text", "history-not-a-list", "stakeholder-not-text"],
)
def test_bad_questions_are_400_with_a_message_for_a_person(client, payload, message):
    response = client.post("/api/ask", json=payload)
    assert response.status_code == 400
    assert set(response.json()) == {"error"}
    assert message in response.json()["error"]


@pytest.mark.parametrize("raw", [b'{"question": "What is an LER?"', b"", b"question=What+is+an+LER", b"\xff\xfe"])
def test_malformed_json_is_400_with_an_example_of_a_good_body(client, raw):
    response = client.post("/api/ask", content=raw, headers={"content-type": "application/json"})
    assert response.status_code == 400
    assert response.json() == {"error": 'The request body is not valid JSON; send an object such as {"question": "What is an LER?"}.'}


def test_a_body_that_is_not_an_object_is_400(client):
    response = client.post("/api/ask", json=["What is an LER?"])
    assert response.status_code == 400
    assert "must be a JSON object" in response.json()["error"]


def test_concurrent_requests_get_the_same_answers_as_one_at_a_time(app, client):
    """The Assistant is called from many threads without a lock; that is only safe if answers
    given side by side equal those given alone."""
    questions = [ISSUING, "What is a verifiable credential?", "What is the business case for funders?", "What is CLR?"]
    alone = {q: client.post("/api/ask", json={"question": q}).json() for q in questions}

    async def together():
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://app") as http:
            return await asyncio.gather(*(http.post("/api/ask", json={"question": q}) for q in questions * 6))

    for question, response in zip(questions * 6, asyncio.run(together())):
        assert response.json() == alone[question]


def test_no_more_answers_are_computed_at_once_than_answer_workers(assistant, tmp_path):
    """Answers are CPU-bound: beyond the CPU count, more at once only makes each one later. The
    rest of the requests wait for a worker, and all of them are answered."""

    class Counting(Service):
        active = peak = 0
        lock = threading.Lock()

        def ask(self, *args, **kwargs):
            with self.lock:
                Counting.active += 1
                Counting.peak = max(Counting.peak, Counting.active)
            time.sleep(0.05)
            try:
                return super().ask(*args, **kwargs)
            finally:
                with self.lock:
                    Counting.active -= 1

    assert assistant.settings.answer_workers == 2
    app = create_app(Counting(assistant, FeedbackLog(tmp_path / "feedback.jsonl")))

    async def together():
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://app") as http:
            return await asyncio.gather(*(http.post("/api/ask", json={"question": ISSUING}) for _ in range(8)))

    responses = asyncio.run(together())
    assert [r.status_code for r in responses] == [200] * 8
    assert Counting.peak == 2


def test_app_py_serves_the_chat_and_the_api_on_the_port_asked_for(settings, assistant, tmp_path):
    """The real entry point, in its own process: `--port` is honoured, the index is opened before
    the port opens (so the first question does not wait for it), and the chat page is served."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {
        **os.environ,
        "LERASSIST_INDEX_DIR": str(settings.index_dir),
        "LERASSIST_FEEDBACK_PATH": str(tmp_path / "feedback.jsonl"),
        "LERASSIST_AUTO_BUILD": "false",
        "LERASSIST_HOST": "127.0.0.1",
    }
    process = subprocess.Popen([sys.executable, str(PROJECT_ROOT / "app.py"), "--port", str(port)], env=env, cwd=tmp_path)
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 180
        while True:
            assert process.poll() is None, "app.py exited before serving"
            try:
                first = httpx.post(f"{base}/api/ask", json={"question": ISSUING}, timeout=30)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "app.py did not start listening"
                time.sleep(0.5)
        assert first.status_code == 200 and first.json()["citations"][0]["section"] == "Issuing phase"
        page = httpx.get(base + "/", timeout=30)
        assert page.status_code == 200 and 'content="LER Ecosystem Map assistant"' in page.text
    finally:
        process.terminate()
        process.wait(timeout=30)

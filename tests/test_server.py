"""Chroma server mode with a real `chroma run`: a build fills the server, two app processes
answer from the same collection, a stopped server makes answers a clear 503 that end when it
returns, and a build killed midway leaves the published collection answering."""

import os

import pytest
from playwright.sync_api import expect, sync_playwright

from conftest import make_settings
from lerassist.answer import Assistant
from lerassist.api import create_app
from lerassist.feedback import FeedbackLog
from lerassist.index import ServerStore, build
from lerassist.load import AppProcess
from lerassist.service import Service
from servers import ChromaServer, add_busy_page, clean_env, kill_build_midway, post, served, wait_for
from test_ui import BOT, CHROMIUM_ARGS

ISSUING = "What do employers do in the Issuing phase?"
ZEBRA = "\n## Zebra Credential\n\nZebra Credential is a striped test term.\n"


@pytest.fixture(scope="session")
def chroma_url(tmp_path_factory):
    """The server `.ci/run` started (LERASSIST_TEST_CHROMA_URL), else one of our own. Tests
    sharing it use their own content copy, hence their own collections."""
    if os.environ.get("LERASSIST_TEST_CHROMA_URL"):
        yield os.environ["LERASSIST_TEST_CHROMA_URL"]
        return
    server = ChromaServer(tmp_path_factory.mktemp("chroma") / "data")
    server.start()
    yield server.url
    server.stop()


@pytest.fixture
def server_settings(tmp_path, content_copy, chroma_url):
    return make_settings(tmp_path, content_dir=content_copy, chroma_url=chroma_url)


def builds(settings) -> set[str]:
    """The build collections of this content folder on the server (not its pointer)."""
    return {c.name for c in ServerStore(settings).client.list_collections() if c.name.startswith(settings.collection_prefix + "-b")}


def test_build_fills_the_server_and_two_app_processes_answer_from_the_same_collection(server_settings, embedder, tmp_path):
    build(server_settings, embedder)
    assert not server_settings.index_dir.exists(), "server mode wrote a local index"
    env = clean_env(chroma_url=server_settings.chroma_url, content_dir=server_settings.content_dir,
                    index_dir=server_settings.index_dir, feedback_path=tmp_path / "feedback.jsonl", auto_build="false")
    with AppProcess(env) as first, AppProcess(env) as second:
        first.wait_until_answering()
        second.wait_until_answering()
        answers = [post(app.url, ISSUING) for app in (first, second)]
        assert [a.status_code for a in answers] == [200, 200]
        assert answers[0].json() == answers[1].json()
        assert answers[0].json()["citations"][0]["section"] == "Issuing phase"
        # A third process publishes a new build; both apps move to it without a restart.
        page = server_settings.content_dir / "glossary.md"
        page.write_text(page.read_text() + ZEBRA)
        build(server_settings, embedder)
        for url in (first.url, second.url):
            wait_for(lambda url=url: "striped" in post(url, "What is a zebra credential?").json()["text"], 30, f"{url} to answer from the new build")


def test_a_stopped_server_makes_answers_503_in_the_api_and_a_message_in_the_chat_until_it_returns(tmp_path, embedder):
    server = ChromaServer(tmp_path / "chroma")
    server.start()
    try:
        settings = make_settings(tmp_path, chroma_url=server.url)
        build(settings, embedder)
        app = create_app(Service(Assistant(settings, embedder), FeedbackLog(settings.feedback_path)))
        with served(app) as url, sync_playwright() as playwright:
            assert post(url, ISSUING).status_code == 200
            server.stop()
            down = post(url, ISSUING)
            assert down.status_code == 503
            assert down.json()["error"].startswith(f"the index is unavailable: Chroma server {server.url} did not answer")
            chromium = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
            page = chromium.new_page()
            page.goto(url)
            page.fill("#question textarea", ISSUING)
            page.keyboard.press("Enter")
            expect(page.locator(BOT).last).to_contain_text("I can't answer right now: the index is unavailable", timeout=30_000)
            server.start()
            wait_for(lambda: post(url, ISSUING).status_code == 200, 30, "answers to resume")
            page.fill("#question textarea", ISSUING)
            page.keyboard.press("Enter")
            expect(page.locator(BOT)).to_have_count(2, timeout=30_000)
            expect(page.locator(BOT).last.get_by_role("link", name="[1]").first).to_be_visible()
            chromium.close()
    finally:
        server.stop()


def test_a_build_killed_midway_leaves_the_published_collection_answering(server_settings, embedder):
    published = build(server_settings, embedder)
    running = Assistant(server_settings, embedder)
    before = builds(server_settings)
    busy = add_busy_page(server_settings.content_dir)
    env = clean_env(chroma_url=server_settings.chroma_url, content_dir=server_settings.content_dir, index_dir=server_settings.index_dir)
    kill_build_midway(env, lambda: builds(server_settings) - before)
    leftover = builds(server_settings) - before
    assert len(leftover) == 1
    assert ServerStore(server_settings).read_manifest().build_id == published.build_id
    assert not running.ask(ISSUING).abstained
    restarted = Assistant(server_settings.replace(auto_build=False), embedder)
    assert restarted.ask(ISSUING).citations[0].section == "Issuing phase"
    busy.unlink()
    latest = build(server_settings, embedder)
    assert builds(server_settings) == {published.collection, latest.collection}

"""The chat box in a real browser (Debian's chromium driven by Playwright), against the real app
served by uvicorn on a free port, in this process, over the session's Assistant."""

import json
import threading
import time

import httpx
import pytest
from playwright.sync_api import expect, sync_playwright

from lerassist.api import create_app
from lerassist.feedback import FeedbackLog
from lerassist.service import Service
from lerassist.ui import STARTERS
from servers import served

CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
ISSUING = "What do employers do in the Issuing phase?"
EMPLOYERS = "https://lermap.t3networkhub.org/stakeholder/employers"
SLOW = "Slowly: "
BOT = "#chat [data-testid='bot']"


class SlowService(Service):
    """The real service, except that a question starting with SLOW waits 5 s first: a stand-in
    for an answer held up by a reopened index or a slow Chroma server."""

    def ask(self, question, stakeholder=None, history=None):
        if question.startswith(SLOW):
            time.sleep(5)
            question = question[len(SLOW):]
        return super().ask(question, stakeholder, history)


@pytest.fixture(scope="module")
def live(assistant, settings):
    """The app on a free port; the feedback file is the session's temp one."""
    with served(create_app(SlowService(assistant, FeedbackLog(settings.feedback_path)))) as url:
        yield url


@pytest.fixture(scope="module")
def visitors(live):
    """One browser profile; each test opens its own page, which is its own chat session (the
    profile only spares reloading Gradio's scripts). Module-scoped: Playwright's sync API keeps
    an event loop in the main thread while it runs, which asyncio.run in later modules refuses."""
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        yield chromium.new_context(viewport={"width": 1400, "height": 1000})
        chromium.close()


def open_chat(tab, live):
    tab.goto(live)
    tab.wait_for_selector("#question textarea")
    return tab


@pytest.fixture
def page(visitors, live):
    """A visitor on the chat page. Fails the test when the page opens a dialog or asks anything
    of a host other than the app: it must work offline."""
    tab = visitors.new_page()
    dialogs, away = [], []
    tab.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    tab.on("request", lambda request: away.append(request.url) if not request.url.startswith((live, "data:", "blob:")) else None)
    yield open_chat(tab, live)
    tab.close()
    assert dialogs == [], f"the page opened dialogs: {dialogs}"
    assert away == [], f"the page reached off the machine: {away}"


@pytest.fixture
def index_gone(settings):
    """The published index disappears under the running app (deleted, or its disk unmounted)."""
    current = settings.store_dir / "current"
    current.rename(current.with_name("current-gone"))
    yield
    current.with_name("current-gone").rename(current)


def ask(page, question: str):
    """Type a question and wait for the reply to it."""
    replies = page.locator(BOT).count()
    page.fill("#question textarea", question)
    page.keyboard.press("Enter")
    expect(page.locator(BOT)).to_have_count(replies + 1, timeout=20_000)
    return page.locator(BOT).last


def choose_stakeholder(page, name: str):
    page.click("#stakeholder input")
    page.get_by_role("option", name=name, exact=True).click()
    expect(page.locator("#stakeholder input")).to_have_value(name)


def test_an_answer_links_its_markers_to_the_cited_page_and_shows_its_sources(page, output_dir, assistant):
    expected = assistant.ask(ISSUING)
    reply = ask(page, ISSUING)
    expect(reply).to_contain_text(expected.citations[0].highlights[-1])
    marker = reply.get_by_role("link", name="[1]").first
    expect(marker).to_have_attribute("href", EMPLOYERS)
    sources = page.locator("#sources")
    expect(sources).to_contain_text("[1] Employers › Issuing phase")
    expect(sources.locator("mark")).to_have_text(expected.citations[0].highlights)
    expect(sources.get_by_role("link", name="Open Employers on the map ↗")).to_have_attribute("href", EMPLOYERS)
    page.screenshot(path=output_dir / "answered-chat.png", full_page=True)
    assert (output_dir / "answered-chat.png").stat().st_size > 10_000


def test_the_stakeholder_filter_answers_from_that_page(page):
    choose_stakeholder(page, "HR Systems")
    reply = ask(page, "What is their business case?")
    expect(reply.get_by_role("link", name="[1]").first).to_have_attribute("href", "https://lermap.t3networkhub.org/stakeholder/hr-systems")
    expect(page.locator("#sources")).to_contain_text("[1] HR Systems › Business case")
    choose_stakeholder(page, "All stakeholders")
    ask(page, "What is a verifiable credential?")
    expect(page.locator("#sources")).to_contain_text("[1] Glossary › Verifiable Credential")


def test_follow_ups_keep_the_phase_then_the_stakeholder(page):
    ask(page, ISSUING)
    funders = ask(page, "And funders?")
    expect(funders).to_contain_text("In the Issuing phase")
    expect(funders).to_contain_text("Funders")
    expect(page.locator("#sources")).to_contain_text("[1] Funders › Issuing phase")
    ask(page, "What about their business case?")
    expect(page.locator("#sources")).to_contain_text("[1] Funders › Business case")
    page.locator(BOT).first.click(position={"x": 4, "y": 4})  # an earlier answer shows its sources again
    expect(page.locator("#sources")).to_contain_text("[1] Employers › Issuing phase")


def test_thumbs_up_appends_the_vote_and_nothing_about_the_person(page, settings, assistant):
    question = "What is the business case for funders?"
    ask(page, question)
    page.locator("#chat").get_by_role("button", name="Like", exact=True).last.click()
    deadline = time.monotonic() + 10
    while True:
        lines = settings.feedback_path.read_text().splitlines() if settings.feedback_path.exists() else []
        votes = [json.loads(line) for line in lines if json.loads(line)["question"] == question]
        if votes or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert len(votes) == 1
    vote = votes[0]
    assert set(vote) == {"time", "question", "answer", "cited_urls", "vote"}
    assert vote["vote"] == "up"
    assert vote["cited_urls"] == ["https://lermap.t3networkhub.org/stakeholder/funders"]
    assert vote["answer"] == assistant.ask(question).text


def test_html_and_script_in_a_question_are_shown_as_text_and_never_run(page):
    for typed in ("<script>alert(1)</script>", '<img src=x onerror="alert(2)"> **bold** [link](javascript:alert(3))'):
        ask(page, typed)
        expect(page.locator("#chat [data-testid='user']").last).to_have_text(typed)
    assert page.locator("#chat img, #chat script, #chat a[href^='javascript']").count() == 0
    # the page fixture fails the test if any alert() opened a dialog


def test_empty_and_oversized_questions_get_a_message_and_no_answer(page):
    page.fill("#question textarea", "   ")
    page.keyboard.press("Enter")
    expect(page.locator("#notice")).to_contain_text("Please type a question about the LER Ecosystem Map")
    long_question = "What is an LER? " * 130
    page.fill("#question textarea", long_question)
    page.click("#ask")
    expect(page.locator("#notice")).to_contain_text("That question is 2,080 characters long; please keep it under 2,000 characters.")
    expect(page.locator("#question textarea")).to_have_value(long_question)
    assert page.locator(BOT).count() == 0
    ask(page, "What is an LER?")
    expect(page.locator("#notice")).to_have_text("")


def test_an_unavailable_index_is_explained_in_the_chat_and_by_the_api(page, live, index_gone):
    reply = ask(page, ISSUING)
    expect(reply).to_contain_text("I can't answer right now: no index at")
    expect(reply).to_contain_text("lerassist build")
    response = httpx.post(live + "/api/ask", json={"question": ISSUING}, timeout=30)
    assert response.status_code == 503
    assert "no index at" in response.json()["error"] and "lerassist build" in response.json()["error"]


def test_starter_questions_answer_from_the_map(page, assistant):
    for question in STARTERS:
        assert not assistant.ask(question).abstained, question
    page.get_by_text(STARTERS[1], exact=True).click()
    expect(page.locator(BOT)).to_have_count(1, timeout=20_000)
    expect(page.locator("#sources")).to_contain_text("[1] Employers › Issuing phase")


def test_glossary_search_filters_terms_as_you_type(page, assistant):
    total = len({p.section for p in assistant.sections() if p.kind == "glossary"})
    page.get_by_role("tab", name="Glossary").click()
    glossary = page.locator("#glossary")
    expect(glossary).to_contain_text(f"{total} terms")
    expect(glossary.get_by_role("heading", name="Assertion", exact=True)).to_be_visible()
    page.locator("#glossary-search textarea").press_sequentially("wallet")
    expect(glossary.get_by_role("heading", name="Assertion", exact=True)).to_have_count(0)
    expect(glossary.get_by_role("heading", name="Digital Credential Wallet", exact=True)).to_be_visible()
    expect(glossary).to_contain_text(f"of {total} terms")
    page.locator("#glossary-search textarea").fill("")
    page.locator("#glossary-search textarea").press_sequentially("zebras")
    expect(glossary).to_contain_text("No glossary term mentions “zebras”.")


def test_map_tab_shows_each_stakeholders_roles_by_phase(page, assistant):
    page.get_by_role("tab", name="Map").click()
    table = page.locator("#role-map table")
    expect(table.locator("tbody tr")).to_have_count(10)
    expect(table.locator("thead th")).to_have_text(["Stakeholder", "Developing phase", "Issuing phase", "Using phase", "Adopting phase"])
    employers = table.locator("tbody tr", has=page.get_by_role("link", name="Employers", exact=True))
    issuing = "".join(p.text for p in assistant.sections() if p.stakeholder == "employers" and p.phase == "issuing")
    roles = employers.locator("td").nth(1).locator("li")
    expect(roles).not_to_have_count(0)
    for role in roles.all_inner_texts():
        assert f"- {role}" in issuing
    expect(employers.get_by_role("link", name="Employers", exact=True)).to_have_attribute("href", EMPLOYERS)


def test_a_slow_answer_does_not_hold_up_another_person(visitors, live):
    slow, other = open_chat(visitors.new_page(), live), open_chat(visitors.new_page(), live)
    try:
        slow.fill("#question textarea", SLOW + ISSUING)
        slow.keyboard.press("Enter")
        expect(ask(other, "What is a verifiable credential?")).to_contain_text("Verifiable Credential")
        assert slow.locator(BOT).count() == 0, "the other person's answer waited for the slow one"
    finally:
        slow.close()
        other.close()


def test_the_api_answers_while_another_request_is_slow(live):
    def post(question, out):
        out[question] = (httpx.post(live + "/api/ask", json={"question": question}, timeout=30), time.monotonic())

    done: dict = {}
    slow = threading.Thread(target=post, args=(SLOW + ISSUING, done))
    slow.start()
    time.sleep(0.3)
    post("What is a verifiable credential?", done)
    slow.join()
    fast_response, fast_at = done["What is a verifiable credential?"]
    slow_response, slow_at = done[SLOW + ISSUING]
    assert fast_response.status_code == slow_response.status_code == 200
    assert fast_at < slow_at

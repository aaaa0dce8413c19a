"""The chat box: Gradio blocks over the Service, mounted on the FastAPI app at /.

The conversation lives in one per-session state, a list of turns (question, answer object); the
chat, the sources panel and each vote are drawn from it, so what a person votes on is exactly the
answer object they were shown.
"""

from __future__ import annotations

import html
import os
import re

# Before gradio is imported: the app runs offline and must not phone home.
os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"

import gradio as gr  # noqa: E402

from .answer import QuestionError  # noqa: E402
from .content import PHASES  # noqa: E402
from .index import IndexUnavailable  # noqa: E402
from .service import Roles, Service, Term  # noqa: E402

# Answers take tens of milliseconds but a reopened index or a slow Chroma server can take
# seconds; several answers run at once so one person's wait is not another's.
CONCURRENCY = 4
ALL = "all"
STARTERS = (
    "What is a Learning and Employment Record?",
    "What do employers do in the Issuing phase?",
    "What is the business case for funders?",
    "What is a verifiable credential?",
    "What are the four phases?",
    "How do learners and earners use LERs?",
)
SOURCES_HINT = "The passages an answer cites appear here, with the sentences it used highlighted."
MARKER = re.compile(r"\[(\d+)\]")
MARKDOWN_PUNCTUATION = re.compile(r"([\\`*_{}\[\]()#+\-.!|~])")
CSS = """
#chat [data-testid='bot'] a { color: var(--color-accent); font-weight: 600; text-decoration: none; }
#chat [data-testid='bot'] strong { font-size: inherit; }
#sources mark { background: #fde68a; color: inherit; padding: 0 .15em; border-radius: 3px; }
#sources h4 { margin-bottom: .25em; }
#notice p { color: #b45309; font-weight: 600; }
.role-map { overflow-x: auto; }
.role-map table { border-collapse: collapse; width: 100%; table-layout: fixed; font-size: .88em; }
.role-map th, .role-map td { border: 1px solid var(--border-color-primary); padding: .5em .6em; vertical-align: top; text-align: left; }
.role-map thead th { background: var(--background-fill-secondary); position: sticky; top: 0; }
.role-map tbody th { width: 12%; }
.role-map ul { margin: 0; padding-left: 1.1em; }
.role-map li { margin-bottom: .35em; }
"""


def user_text(text: str) -> str:
    """What a person typed, shown exactly as typed: Markdown and HTML in it are escaped, never
    rendered, so `<script>` in a question is text on the screen and not code in the page."""
    return html.escape(MARKDOWN_PUNCTUATION.sub(r"\\\1", text), quote=False)


def answer_markdown(answer: dict) -> str:
    """The answer with each `[n]` a link to the map page it cites."""
    urls = {c["n"]: c for c in answer["citations"]}

    def link(match: re.Match) -> str:
        cited = urls.get(int(match.group(1)))
        if cited is None:
            return match.group(0)
        title = f"{cited['title']} › {cited['section']}".replace('"', "'")
        return f'[\\[{match.group(1)}\\]]({cited["url"]} "{title}")'

    return MARKER.sub(link, answer["text"])


def highlighted(text: str, sentences: list[str]) -> str:
    for sentence in sentences:
        at = text.find(sentence)
        if at >= 0:
            text = f"{text[:at]}<mark>{sentence}</mark>{text[at + len(sentence):]}"
    return text


def sources_markdown(answer: dict | None) -> str:
    if answer is None:
        return SOURCES_HINT
    if answer["abstained"]:
        return "### Sources\nNo sources: the map does not cover this question."
    parts = []
    for c in answer["citations"]:
        if c["used"]:
            parts.append(
                f"#### [{c['n']}] {c['title']} › {c['section']}\n\n{highlighted(c['text'], c['highlights'])}\n\n"
                f"[Open {c['title']} on the map ↗]({c['url']})"
            )
    related = [f"[{c['title']} › {c['section']}]({c['url']})" for c in answer["citations"] if not c["used"]]
    if related:
        parts.append("**Related:** " + " · ".join(related))
    return "### Sources\n\n" + "\n\n---\n\n".join(parts)


def messages(turns: list[dict]) -> list[dict]:
    """The chat drawn from the turns: turn i's answer is message 2i+1, which is how a vote finds
    its turn."""
    chat = []
    for turn in turns:
        chat.append({"role": "user", "content": user_text(turn["question"])})
        reply = answer_markdown(turn["answer"]) if turn["answer"] else turn["error"]
        chat.append({"role": "assistant", "content": reply})
    return chat


def glossary_markdown(terms: list[Term], query: str) -> str:
    words = query.lower().split()
    found = [t for t in terms if all(w in f"{t.term} {t.text}".lower() for w in words)]
    if not found:
        return f"No glossary term mentions “{user_text(query.strip())}”."
    head = f"**{len(found)} of {len(terms)} terms**" if words else f"**{len(terms)} terms**"
    return "\n\n".join([head] + [f"### {t.term}\n{t.text}" for t in found])


def map_html(roles: list[Roles]) -> str:
    head = "".join(f"<th scope='col'>{p.capitalize()} phase</th>" for p in PHASES)
    rows = []
    for row in roles:
        cells = []
        for phase in PHASES:
            items = "".join(f"<li>{html.escape(role)}</li>" for role in row.phases.get(phase, []))
            cells.append(f"<td><ul>{items}</ul></td>" if items else "<td>—</td>")
        name = f"<a href='{html.escape(row.url)}' target='_blank' rel='noopener'>{html.escape(row.name)}</a>"
        rows.append(f"<tr><th scope='row'>{name}</th>{''.join(cells)}</tr>")
    return (
        "<div class='role-map'><table><thead><tr><th scope='col'>Stakeholder</th>"
        f"{head}</tr></thead><tbody>{''.join(rows)}</tbody></table></div>"
    )


def stakeholder_choices(service: Service) -> list[tuple[str, str]]:
    try:
        named = service.stakeholders.items()
    except IndexUnavailable:
        named = []
    return [("All stakeholders", ALL)] + [(name, slug) for slug, name in named]


def map_or_reason(service: Service) -> str:
    try:
        return map_html(service.roles())
    except IndexUnavailable as err:
        return f"<p>⚠️ The map can't be read right now: {html.escape(str(err))}</p>"


def build(service: Service) -> gr.Blocks:
    # The page is drawn even when the index cannot be opened (the app then answers with the
    # reason); the filter, glossary and map are filled again on each page load until it opens.
    choices = stakeholder_choices(service)
    index_ready = len(choices) > 1

    def respond(question: str, stakeholder: str, turns: list[dict]):
        history = [t["question"] for t in turns if t["answer"]]
        try:
            answer = service.ask(question, stakeholder=None if stakeholder == ALL else stakeholder, history=history)
        except QuestionError as err:
            # The question stays in the box, so a long one can be shortened rather than retyped.
            return question, gr.skip(), gr.skip(), gr.skip(), str(err)
        except IndexUnavailable as err:
            turns = turns + [{"question": question, "answer": None, "error": f"⚠️ I can't answer right now: {err}"}]
            return "", messages(turns), turns, gr.skip(), ""
        turns = turns + [{"question": question, "answer": answer.to_dict()}]
        return "", messages(turns), turns, sources_markdown(turns[-1]["answer"]), ""

    def ask_starter(stakeholder: str, turns: list[dict], picked: gr.SelectData):
        return respond(picked.value["text"], stakeholder, turns)

    def vote(turns: list[dict], feedback: gr.LikeData):
        turn = _turn_at(turns, feedback.index)
        if turn is not None:
            choice = {True: "up", False: "down"}.get(feedback.liked, "withdrawn")
            service.vote(turn["question"], turn["answer"], choice)

    def search_glossary(query: str):
        try:
            return glossary_markdown(service.glossary(), query)
        except IndexUnavailable as err:
            return f"⚠️ The glossary can't be read right now: {err}"

    def refill():
        return gr.Dropdown(choices=stakeholder_choices(service)), search_glossary(""), map_or_reason(service)

    def show_sources(turns: list[dict], picked: gr.SelectData):
        turn = _turn_at(turns, picked.index)
        return sources_markdown(turn["answer"]) if turn else gr.skip()

    with gr.Blocks(title="LER Ecosystem Map assistant", analytics_enabled=False) as demo:
        turns = gr.State([])
        gr.Markdown(
            "# LER Ecosystem Map assistant\n"
            "Ask about Learning and Employment Records, the ten stakeholder groups and their roles in "
            "each phase, or a term. Every sentence of an answer cites the "
            "[LER Ecosystem Map](https://lermap.t3networkhub.org) page it comes from; when the map does "
            "not cover a question, the assistant says so."
        )
        with gr.Tabs():
            with gr.Tab("Ask", id="ask"):
                with gr.Row(equal_height=False):
                    with gr.Column(scale=3):
                        stakeholder = gr.Dropdown(choices, value=ALL, label="Answer from", filterable=False, elem_id="stakeholder")
                        chat = gr.Chatbot(
                            label="Conversation",
                            height=520,
                            elem_id="chat",
                            placeholder="**New here?** Pick a question below, or type your own. Follow-ups such as *And funders?* build on the conversation.",
                            examples=[{"text": q} for q in STARTERS],
                            buttons=["copy"],
                            latex_delimiters=[],
                            allow_tags=False,
                        )
                        with gr.Row():
                            box = gr.Textbox(
                                show_label=False,
                                placeholder="Ask about LERs, a stakeholder, a phase or a term…",
                                max_lines=6,
                                scale=5,
                                elem_id="question",
                                autofocus=True,
                            )
                            send = gr.Button("Ask", variant="primary", scale=1, elem_id="ask")
                        notice = gr.Markdown(elem_id="notice")
                    with gr.Column(scale=2):
                        sources = gr.Markdown(SOURCES_HINT, elem_id="sources")
            with gr.Tab("Glossary", id="glossary"):
                search = gr.Textbox(
                    label="Search the glossary", placeholder="Type a word, e.g. wallet", elem_id="glossary-search"
                )
                entries = gr.Markdown(search_glossary(""), elem_id="glossary")
            with gr.Tab("Map", id="map"):
                gr.Markdown(
                    "What each stakeholder group does in each phase of the LER ecosystem: the map pages "
                    "the assistant answers from. A name opens its page on the map."
                )
                role_map = gr.HTML(map_or_reason(service), elem_id="role-map")

        # The page's events are not a second API: POST /api/ask is the one to program against.
        private = {"api_visibility": "private"}
        asked = [box, chat, turns, sources, notice]
        box.submit(respond, [box, stakeholder, turns], asked, **private)
        send.click(respond, [box, stakeholder, turns], asked, **private)
        chat.example_select(ask_starter, [stakeholder, turns], asked, **private)
        chat.like(vote, [turns], None, **private)
        chat.select(show_sources, [turns], [sources], **private)
        chat.clear(lambda: ([], SOURCES_HINT, ""), None, [turns, sources, notice], **private)
        # always_last: the filter runs again for the last keystroke typed while one was running.
        search.input(search_glossary, [search], [entries], show_progress="hidden", trigger_mode="always_last", **private)
        if not index_ready:
            demo.load(refill, None, [stakeholder, entries, role_map], **private)
    return demo


def _turn_at(turns: list[dict], index) -> dict | None:
    """The answered turn whose reply is chat message `index`; None for anything else."""
    if not isinstance(index, int) or index % 2 == 0 or index // 2 >= len(turns):
        return None
    turn = turns[index // 2]
    return turn if turn["answer"] else None


def mount(app, service: Service):
    demo = build(service)
    demo.queue(default_concurrency_limit=CONCURRENCY)
    return gr.mount_gradio_app(
        app,
        demo,
        path="/",
        footer_links=[],
        run_history=False,  # the browser keeps no record of questions either
        theme=gr.themes.Default(primary_hue="indigo", neutral_hue="slate"),
        css=CSS,
    )

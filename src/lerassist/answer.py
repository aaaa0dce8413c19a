"""Assistant.ask(question) -> Answer: retrieve, then compose a short answer from the map's own
passages, every sentence and bullet carrying the marker of the passage it came from.

There is no LLM offline, so nothing here invents wording: the answer is a selection of the
passages' sentences and bullets, which keeps every claim traceable to a cited source.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from dataclasses import dataclass

from .content import ContentError
from .embedding import Embedder
from .index import IndexUnavailable, ensure, store_for
from .mapsource import count_word
from .models import Answer, Citation, Passage
from .query import STOPWORDS, Intent, Vocabulary, parse, stem, tokens
from .retrieve import Hit, Ranking, Retriever
from .settings import Settings

log = logging.getLogger(__name__)

ABSTAIN_TEXT = (
    "The LER Ecosystem Map does not cover that question, so I can't answer it from the map. "
    "It covers the {count} stakeholder groups of the LER ecosystem ({names}), their roles in the "
    "Developing, Issuing, Using and Adopting phases, action areas, business and social cases, a "
    "glossary of LER terms, LERs explained with a worked example, technical guidance, resources "
    "and the map's about page."
)
TASK_REQUEST = re.compile(
    r"^\s*(please\s+)?(write|compose|generate|code|implement|translate|calculate|compute|solve|draw|sing|play|book|order|summari[sz]e\s+this)\b",
    re.I,
)
# Follow-ups look back this many questions; an API caller cannot make one answer parse an
# unbounded history.
HISTORY_TURNS = 10
# Below this similarity, a question naming jargon the map never uses is abstained.
FOREIGN_TERM_SIMILARITY = 0.5
MAX_BULLETS = 8
MAX_PROSE_WORDS = 90
MAX_LEAD_WORDS = 50


class QuestionError(ValueError):
    """A question the assistant refuses before retrieval, with a message for the person."""


@dataclass
class _Line:
    text: str
    passage: Passage
    bullet: bool = False
    label: str = ""


class Assistant:
    """Loads the model and opens the index once; every interface (CLI, UI, API, eval) asks
    through one Assistant."""

    def __init__(self, settings: Settings, embedder: Embedder | None = None):
        self.settings = settings
        self.embedder = embedder or Embedder.shared(settings.model_path)
        try:
            ensure(settings, self.embedder)
        except ContentError as err:
            if store_for(settings).read_manifest() is None:
                raise
            log.warning("content not rebuilt, serving the previous index: %s", err)
        except IndexUnavailable as err:
            log.warning("%s", err)
        self.retriever = Retriever(settings, self.embedder)

    @property
    def stakeholders(self) -> dict[str, str]:
        """slug -> name, from the index, for filters and menus."""
        return self.retriever.current().stakeholders

    def sections(self) -> list[Passage]:
        """Every section of the map, whole (a long one is indexed in parts), in page order: what
        the chat box's browsing tabs show, from the same index the answers come from."""
        return list({whole.id: whole for whole in self.retriever.current().sections.values()}.values())

    def check_question(self, question: str) -> str:
        if not isinstance(question, str):
            raise QuestionError("The question must be text.")
        cleaned = "".join(" " if unicodedata.category(ch).startswith("C") else ch for ch in question)
        cleaned = re.sub(r"\s+", " ", cleaned).strip()
        if not cleaned:
            raise QuestionError("Please type a question about the LER Ecosystem Map, for example: What is a verifiable credential?")
        if len(question) > self.settings.max_question_chars:
            raise QuestionError(
                f"That question is {len(question):,} characters long; please keep it under "
                f"{self.settings.max_question_chars:,} characters."
            )
        return cleaned

    def understand(self, question: str, vocab: Vocabulary, history: list | None = None) -> Intent:
        previous = None
        for earlier in history_questions(history)[-HISTORY_TURNS:]:
            previous = parse(earlier[: self.settings.max_question_chars], vocab, previous)
        return parse(question, vocab, previous)

    def ask(self, question: str, stakeholder: str | None = None, history: list | None = None) -> Answer:
        question = self.check_question(question)
        stakeholder = (stakeholder or "").strip()
        # One snapshot for the whole answer: a build published meanwhile is seen by the next one.
        snap = self.retriever.current()
        if stakeholder and stakeholder not in snap.stakeholders:
            raise QuestionError(f"Unknown stakeholder '{stakeholder}'; choose one of: {', '.join(snap.stakeholders)}.")
        intent = self.understand(question, snap.vocab, history)
        ranking = self.retriever.search(intent, stakeholder=stakeholder, snap=snap)
        if self.should_abstain(question, intent, ranking, snap.vocab):
            names = sorted(snap.stakeholders.values())
            text = ABSTAIN_TEXT.format(count=count_word(len(names)), names=", ".join(names))
            return Answer(question, text, [], True, stakeholder=intent.stakeholder, phase=intent.phase)
        text, citations = compose(question, intent, ranking.hits)
        return Answer(question, text, citations, False, stakeholder=stakeholder or intent.stakeholder, phase=intent.phase)

    def should_abstain(self, question: str, intent: Intent, ranking: Ranking, vocab: Vocabulary) -> bool:
        if not ranking.hits:
            return True
        best = ranking.best_similarity
        if TASK_REQUEST.search(question) and not intent.structured:
            return True
        if best < FOREIGN_TERM_SIMILARITY and self.foreign_terms(intent, vocab):
            return True
        # Two words only a few passages use, and at most one word the map never uses, mean the
        # question names something specific on the map ("Upskill America"), not a near miss
        # ("the salary of a licensed practical nurse").
        names_map_things = intent.rare_words >= 2 and intent.unknown_words <= 1 and intent.rare_words > intent.unknown_words
        if intent.structured or names_map_things:
            return best < self.settings.min_similarity / 3
        return best < self.settings.min_similarity

    def foreign_terms(self, intent: Intent, vocab: Vocabulary) -> list[str]:
        """Rare words the map never uses ("FERPA", "ed25519", "blockchain"): the model's own
        vocabulary splits them into pieces, so they are jargon, not everyday words, and the
        question is about something the map does not cover."""
        tokenizer = self.embedder.model.tokenizer
        return [
            w
            for w in tokens(intent.text)
            if len(w) > 4 and w.isalnum() and w not in STOPWORDS and not vocab.knows(w) and len(tokenizer.tokenize(w)) > 1
        ]


def history_questions(history: list | None) -> list[str]:
    """Accepts earlier questions as strings, {"question": ...} objects, or chat messages
    ({"role": "user", "content": ...}), oldest first."""
    out = []
    for item in history or []:
        if isinstance(item, str):
            out.append(item)
        elif isinstance(item, dict):
            if "question" in item:
                out.append(str(item["question"]))
            elif item.get("role") == "user" and isinstance(item.get("content"), str):
                out.append(item["content"])
    return [q for q in out if q.strip()]


def split_passage(text: str) -> tuple[list[str], list[str]]:
    """A passage's prose sentences and its bullets (numbered senses count as bullets)."""
    prose, bullets = [], []
    for block in text.split("\n"):
        block = block.strip()
        if not block:
            continue
        item = re.match(r"^(?:- |\d+\. )(.*)$", block)
        if item:
            bullets.append(item.group(1).strip())
        else:
            prose.extend(sentences(block))
    return prose, bullets


def sentences(text: str) -> list[str]:
    parts = re.split(r"(?<=[.!?])\s+(?=[A-Z0-9\"(])", text.strip())
    return [p.strip() for p in parts if p.strip()]


def overlap(question: str, text: str) -> int:
    wanted = {stem(w) for w in tokens(question) if w not in STOPWORDS}
    return len(wanted & {stem(w) for w in tokens(text)})


def compose(question: str, intent: Intent, hits: list[Hit]) -> tuple[str, list[Citation]]:
    """`intent.text` (typos mended, abbreviations spelled out) is what sentences are matched
    against, so "microcredential meaning" still finds the micro-credential sentences."""
    asked = intent.text
    lines = primary_lines(asked, intent, hits[0].passage)
    if intent.spans:
        seen = {hits[0].passage.url}
        for hit in hits[1:]:
            if hit.passage.url not in seen and len(seen) < 3:
                seen.add(hit.passage.url)
                lines.extend(secondary_lines(asked, hit.passage))
    return render(lines, hits)


def primary_lines(asked: str, intent: Intent, passage: Passage) -> list[_Line]:
    prose, bullets = split_passage(passage.text)
    intro = prose.pop() if bullets and prose and prose[-1].endswith(":") else None
    if bullets and intro and passage.action_area and not intent.asks_definition:
        # What an action area means is said on every stakeholder page; a question about a
        # stakeholder's actions wants the list and its own short intro.
        prose = []
    in_order = intent.asks_definition or bool(intent.terms)
    chosen = pick_sentences(asked, prose, MAX_LEAD_WORDS if bullets else MAX_PROSE_WORDS, in_order)
    keep = bullets if intent.asks_list or len(bullets) <= MAX_BULLETS else _best(asked, bullets, MAX_BULLETS)
    lines = [_Line(s, passage) for s in chosen + ([intro] if intro else [])]
    return lines + [_Line(b, passage, bullet=True) for b in keep]


def pick_sentences(asked: str, prose: list[str], budget: int, in_order: bool) -> list[str]:
    """The opening sentence (it names the subject), then more within a word budget: the next
    ones for a definition, otherwise those sharing the most words with the question."""
    if not prose:
        return []
    chosen = [prose[0]]
    candidates = prose[1:] if in_order else sorted(prose[1:], key=lambda s: -overlap(asked, s))
    for sentence in candidates:
        if len(" ".join(chosen + [sentence]).split()) > budget:
            if in_order:
                break
            continue
        chosen.append(sentence)
    return sorted(chosen, key=prose.index)


def secondary_lines(asked: str, passage: Passage) -> list[_Line]:
    prose, bullets = split_passage(passage.text)
    best = _best(asked, bullets, 1) if bullets else prose[:1]
    return [_Line(best[0], passage, label=f"{passage.title}: " if passage.kind == "stakeholder" else "")]


def _best(question: str, items: list[str], n: int) -> list[str]:
    ranked = sorted(items, key=lambda s: -overlap(question, s))[:n]
    return sorted(ranked, key=items.index)


def render(lines: list[_Line], hits: list[Hit]) -> tuple[str, list[Citation]]:
    """Markers are numbered in order of first use; the cited passages come first in the
    citation list, then the other retrieved passages, so every marker points at a listed source."""
    numbers: dict[str, int] = {}
    used: dict[str, list[str]] = {}
    out = []
    for line in lines:
        n = numbers.setdefault(line.passage.id, len(numbers) + 1)
        used.setdefault(line.passage.id, []).append(line.text)
        body = line.text.rstrip()
        if body.endswith(":"):
            rendered = f"{body[:-1].rstrip()} [{n}]:"
        else:
            rendered = f"{body} [{n}]"
        out.append(("- " if line.bullet else "") + line.label + rendered)
    text = "\n".join(out)
    order = sorted(hits, key=lambda h: numbers.get(h.passage.id, len(numbers) + 1 + hits.index(h)))
    citations = []
    for n, hit in enumerate(order, start=1):
        p = hit.passage
        citations.append(
            Citation(
                n=n,
                url=p.url,
                title=p.title,
                section=p.section,
                text=p.text,
                score=round(hit.score, 6),
                used=p.id in used,
                highlights=used.get(p.id, []),
            )
        )
    return text, citations


__all__ = ["Assistant", "QuestionError", "IndexUnavailable"]

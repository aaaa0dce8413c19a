"""What the chat box and the HTTP API share: one Assistant, one feedback log, and the map read
back from the index for browsing.

Assistant.ask is called from many server threads at once without a lock: it only reads the
opened index (tests/test_api.py checks concurrent answers equal sequential ones), so one slow
answer never holds up another person's.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from .answer import Assistant, split_passage
from .feedback import FeedbackLog
from .models import Answer, Passage


@dataclass(frozen=True)
class Term:
    term: str
    text: str
    url: str


@dataclass(frozen=True)
class Roles:
    """One stakeholder's roles, phase by phase (PHASES): a row of the Map tab."""

    slug: str
    name: str
    url: str
    phases: dict[str, list[str]]


class Service:
    def __init__(self, assistant: Assistant, feedback: FeedbackLog):
        self.assistant = assistant
        self.feedback = feedback

    def ask(self, question: str, stakeholder: str | None = None, history: list | None = None) -> Answer:
        """`history` is the conversation's earlier questions, oldest first: what lets "And
        funders?" keep the phase the person was asking about."""
        return self.assistant.ask(question, stakeholder=stakeholder or None, history=history)

    @property
    def stakeholders(self) -> dict[str, str]:
        return self.assistant.stakeholders

    def vote(self, question: str, answer: dict, vote: str) -> dict:
        return self.feedback.record(question, answer, vote)

    def glossary(self) -> list[Term]:
        """Every glossary term with its whole definition, alphabetically."""
        sections = _sections(p for p in self.assistant.passages() if p.kind == "glossary")
        terms = [Term(chunks[0].section, whole_text(chunks), chunks[0].url) for chunks in sections]
        return sorted(terms, key=lambda t: t.term.lower())

    def roles(self) -> list[Roles]:
        """The ten stakeholders against the four phases, read from the same passages the chat
        answers from, so browsing and answers never disagree."""
        names = self.stakeholders
        passages = [p for p in self.assistant.passages() if p.kind == "stakeholder" and p.stakeholder in names]
        urls = {p.stakeholder: p.url for p in passages}
        phases: dict[str, dict[str, list[str]]] = {slug: {} for slug in names}
        for chunks in _sections(p for p in passages if p.phase):
            bullets = [b for chunk in chunks for b in split_passage(chunk.text)[1]]
            phases[chunks[0].stakeholder][chunks[0].phase] = list(dict.fromkeys(bullets))
        return [Roles(slug, name, urls[slug], phases[slug]) for slug, name in names.items()]


def _sections(passages) -> list[list[Passage]]:
    """Passages grouped by page section, the parts of a split section in order."""
    groups: dict[tuple[str, str], list[Passage]] = {}
    for p in passages:
        groups.setdefault((p.url, p.section), []).append(p)
    for chunks in groups.values():
        if len(chunks) > 1:
            chunks.sort(key=lambda p: int(p.id.rsplit("-", 1)[1]))
    return list(groups.values())


def whole_text(chunks: list[Passage]) -> str:
    """A split section put back together: every part after the first repeats the section's
    opening block, which is dropped."""
    text = chunks[0].text
    for chunk in chunks[1:]:
        shared = os.path.commonprefix([chunks[0].text, chunk.text])
        text += "\n" + chunk.text[shared.rfind("\n") + 1 :]
    return text

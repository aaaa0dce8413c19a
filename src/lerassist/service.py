"""What the chat box and the HTTP API share: one Assistant, one feedback log, and the map read
back from the index for browsing.

Assistant.ask is called from many server threads at once without a lock: it only reads the
opened index (tests/test_api.py checks concurrent answers equal sequential ones), so one slow
answer never holds up another person's.
"""

from __future__ import annotations

from dataclasses import dataclass

from .answer import Assistant, split_passage
from .feedback import FeedbackLog
from .models import Answer


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
        terms = [Term(s.section, s.text, s.url) for s in self.assistant.sections() if s.kind == "glossary"]
        return sorted(terms, key=lambda t: t.term.lower())

    def roles(self) -> list[Roles]:
        """The ten stakeholders against the four phases, read from the same passages the chat
        answers from, so browsing and answers never disagree."""
        names = self.stakeholders
        sections = [s for s in self.assistant.sections() if s.kind == "stakeholder" and s.stakeholder in names]
        urls = {s.stakeholder: s.url for s in sections}
        phases: dict[str, dict[str, list[str]]] = {slug: {} for slug in names}
        for s in sections:
            if s.phase:
                phases[s.stakeholder][s.phase] = list(dict.fromkeys(split_passage(s.text)[1]))
        return [Roles(slug, name, urls[slug], phases[slug]) for slug, name in names.items()]

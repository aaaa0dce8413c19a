"""Plain data objects that cross module boundaries; no library types leak out of them."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field


def url_path(url: str) -> str:
    """A URL's path without slashes at either end: what eval globs match ("" is the home page)."""
    rest = url.split("://", 1)[-1]
    path = rest.split("/", 1)[1] if "/" in rest else ""
    return path.split("#", 1)[0].strip("/")


@dataclass(frozen=True)
class Passage:
    """One retrievable piece of a page: a section, or part of a long one."""

    id: str
    text: str
    title: str
    section: str
    url: str
    kind: str
    stakeholder: str = ""
    phase: str = ""
    action_area: str = ""
    source: str = ""

    def metadata(self) -> dict:
        return {k: v for k, v in asdict(self).items() if k not in ("id", "text")}


@dataclass
class Citation:
    n: int
    url: str
    title: str
    section: str
    text: str
    score: float
    used: bool = False
    highlights: list[str] = field(default_factory=list)

    @property
    def label(self) -> str:
        return f"{self.title} › {self.section}"


@dataclass
class Answer:
    question: str
    text: str
    citations: list[Citation]
    abstained: bool
    stakeholder: str = ""
    phase: str = ""

    def to_dict(self) -> dict:
        return {
            "question": self.question,
            "text": self.text,
            "abstained": self.abstained,
            "stakeholder": self.stakeholder or None,
            "phase": self.phase or None,
            "citations": [asdict(c) for c in self.citations],
        }

    def render(self) -> str:
        """The answer as a person reads it in a terminal: the text, then its numbered sources."""
        lines = [self.text]
        if self.citations:
            lines.append("")
            lines.append("Sources:")
            for c in self.citations:
                lines.append(f"[{c.n}] {c.label} — {c.url}")
        return "\n".join(lines)

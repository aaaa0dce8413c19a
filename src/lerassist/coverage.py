"""Is content/ complete and faithful? Compare it, fact by fact, with the map's official source.

content/ restates the map in the project's own words, so no diff can say whether a fact went
missing or one was made up; maintainers need that proof. The units are the facts the importer
marks in the source (definitions, example lists, role and action bullets, cases, quotes, glossary
senses, C-BEN principles, VC advantages, resources, the guide/about/home paragraphs). Each unit is
split into sentences, and each must find a faithful counterpart among the sentences of the same
content page (of the same section, where the content format fixes the headings), alone or in a
run of up to three within one paragraph or bullet; a unit is as good as its weakest sentence. In
the other direction every sentence of content/ must be backed by the source; one that is not is
a possible invented fact.

A match weighs equally the embedding similarity (MiniLM, the index's own model) and term
overlap: the share of the sentence's content words, weighted by rarity, found in the
counterpart or its heading; words that only name the page or the shared section do not count.
A paraphrase keeps the meaning but changes the words, so it scores lower than a copy (the
imported map itself scores 1.0). Calibration on the real data (content/ against ../shared/ler-map,
weakest matches read by eye, all true paraphrases):
- true counterparts: the weakest unit scores 0.55, 99% score above 0.57;
- a removed fact (each of the 266 roles, actions, cases, definitions, examples, quotes and
  glossary senses, scored with its counterpart deleted): the highest 0.54, 95% below 0.45;
- content sentences: the weakest backed one scores 0.47; a sentence moved into the same
  section of another stakeholder (plausible, but not what the map says there): 95% below 0.39.
So COVERED sits just above every removed fact and MISSING/INVENTED below every true match; a
unit between the two is reported "weak" for a person to read, without failing the check.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from .answer import sentences
from .content import load_pages
from .embedding import Embedder
from .importer import read_map
from .query import STOPWORDS, tokens
from .retrieve import stem

COS_WEIGHT = 0.5
COVERED = 0.55  # at or above: the unit has a faithful counterpart
MISSING = 0.45  # below: no counterpart; between the two a unit is "weak" (reported, not failed)
INVENTED = 0.45  # a content sentence whose best source match is below this is not backed by the map
WINDOW = 3
# Pages whose headings the content format fixes (a stakeholder's "Adopting phase", a glossary
# term): a fact must be found in the section of the same name, not in a look-alike elsewhere on
# the page. Guide, about, home and resources pages are compared page to page.
SECTIONED = {"stakeholder", "glossary"}
# Words the content format uses to frame facts ("Examples of Funders include:", "X is the
# map's word for", "makes the point that"), and function words the shared stopword list lacks:
# they are evidence neither of a fact nor against one.
FRAMING = frozenset({
    "has", "have", "had", "ler", "lers", "ecosystem", "map", "map's", "page", "pages", "section",
    "lists", "list", "listed", "names", "named", "gives", "give", "include", "includes", "including",
    "example", "examples", "word", "term", "point", "makes", "quote", "quoted", "quotes", "role",
    "roles", "take", "takes", "following", "describes", "says", "according", "sense", "senses",
})  # fmt: skip
MARKUP = re.compile(r"\*\*|(?<!\w)\*|\*(?!\w)|[<>]")


@dataclass(frozen=True)
class Sentence:
    """One sentence of a page, with where it sits; `kind` is the fact kind for source units."""

    page: str
    title: str
    section: str
    text: str
    where: str  # for a person: "Funders › Developing phase", or "stakeholders/funders.md:17 Funders › ..."
    page_kind: str
    block: str  # sentences of one paragraph or bullet share it: runs never cross blocks
    enum: bool  # part of an enumeration, which may be matched whole
    kind: str = ""  # the fact kind, for source sentences
    unit: int = -1  # the source unit it belongs to; -1 for content and for framing


@dataclass
class Finding:
    label: str
    text: str
    score: float
    status: str
    closest: str
    closest_where: str


@dataclass
class CoverageReport:
    units: list[Finding]
    lines: list[Finding]

    @property
    def summary(self) -> dict:
        def count(items, status):
            return sum(1 for f in items if f.status == status)

        return {
            "units": len(self.units),
            "covered": count(self.units, "covered"),
            "weak": count(self.units, "weak"),
            "missing": count(self.units, "missing"),
            "content_sentences": len(self.lines),
            "invented": count(self.lines, "invented"),
        }

    @property
    def passed(self) -> bool:
        return not (self.summary["missing"] or self.summary["invented"])

    def to_dict(self) -> dict:
        return {
            "summary": self.summary,
            "problems": [asdict(f) for f in self.units + self.lines if f.status in ("weak", "missing", "invented")],
        }


def check(content_dir: Path, source: Path, embedder: Embedder) -> CoverageReport:
    units = source_sentences(source)
    lines = content_sentences(content_dir)
    vectors = embedder.embed_documents([plain(s.text) for s in units + lines])
    idf = _idf(units + lines)
    source_side, content_side = _Side(units, vectors[: len(units)], idf), _Side(lines, vectors[len(units) :], idf)
    unit_findings: dict[int, Finding] = {}
    for i, claim in enumerate(units):
        if claim.unit < 0:
            continue
        score, closest, where = content_side.best(claim, source_side.vectors[i], source_side.terms[i])
        finding = unit_findings.get(claim.unit)
        if finding is None or score < finding.score:
            status = "covered" if score >= COVERED else "weak" if score >= MISSING else "missing"
            label = f"{claim.title} › {claim.section} › {claim.kind}"
            unit_findings[claim.unit] = Finding(label, claim.text, round(score, 3), status, closest, where)
    line_findings = []
    for i, line in enumerate(lines):
        score, closest, where = source_side.best(line, content_side.vectors[i], content_side.terms[i])
        status = "backed" if score >= INVENTED else "invented"
        line_findings.append(Finding(line.where, line.text, round(score, 3), status, closest, where))
    return CoverageReport([unit_findings[k] for k in sorted(unit_findings)], line_findings)


def source_sentences(source: Path) -> list[Sentence]:
    """Every sentence the importer writes. Facts carry their unit number; the importer's framing
    lines ("The seven C-BEN interoperability principles:") carry -1: they are not facts to
    cover, but they state the map's structure truly, so they can back a content sentence."""
    out, unit = [], 0
    for page in read_map(source).pages:
        for section in page.sections:
            lines = []
            for b in section.blocks:
                lines.append((bool(b.marker), b.text, f"{page.title} › {section.heading}", b.fact, unit if b.fact else -1))
                unit += bool(b.fact)
            out += _section_sentences(page.url, page.title, page.kind, section.heading, lines, enumerations=False)
    return out


def content_sentences(content_dir: Path) -> list[Sentence]:
    out = []
    for page in load_pages(content_dir):
        rel = page.path.relative_to(content_dir).as_posix()
        for section in page.sections:
            lines = []
            for offset, raw in enumerate(section.body.splitlines(), start=section.line + 1):
                marker = re.match(r"^(?:- |\d+\. )", raw.strip())
                if raw.strip():
                    lines.append((bool(marker), raw.strip()[marker.end() if marker else 0 :], f"{rel}:{offset} {page.title} › {section.heading}", "", -1))
            out += _section_sentences(page.url, page.title, page.kind, section.heading, lines, enumerations=True)
    return out


def _section_sentences(url: str, title: str, kind: str, heading: str, lines: list[tuple], enumerations: bool) -> list[Sentence]:
    """Sentences of one section, each tagged with its block (a paragraph or a bullet). In
    content/, where full sentences end with a full stop, an enumeration (a run of short bullets
    without one, "ID cards", "licenses", with the line introducing it) is one block that may be
    matched whole: its items are parts of one fact. The map's bullets rarely end with a full
    stop, so there every bullet stays a block of its own."""

    def item(line) -> bool:
        return enumerations and line[0] and len(line[1].split()) <= 20 and not line[1].rstrip().endswith(".")

    blocks, enum = [], []
    for i, line in enumerate(lines):
        joins = i > 0 and item(line) and (item(lines[i - 1]) or (not lines[i - 1][0] and lines[i - 1][1].rstrip().endswith(":")))
        blocks.append(blocks[-1] if joins else len(blocks) and blocks[-1] + 1)
        enum.append(joins)
        if joins:
            enum[i - 1] = True
    out = []
    for (_, text, where, fact, unit), block, whole in zip(lines, blocks, enum):
        for part in _split(text, kind):
            out.append(Sentence(url, title, heading, part, where, kind, f"{url}#{heading}#{block}", whole, fact, unit))
    return out


def _split(text: str, page_kind: str) -> list[str]:
    """Sentences; a resource line stays whole, since its title may hold a '?' or a '.'."""
    if page_kind == "resources":
        return [text.strip()] if text.strip() else []
    return sentences(text)


def _idf(items: list[Sentence]) -> dict[str, float]:
    """Rare words weigh more in the overlap: sharing "supervisors" says more than sharing "skills"."""
    df: Counter = Counter()
    for s in items:
        df.update(terms(s.text))
    return {t: math.log((len(items) + 1) / (n + 1)) + 1.0 for t, n in df.items()}


class _Side:
    """One side's sentences with their vectors and terms, searched from the other side."""

    def __init__(self, items: list[Sentence], vectors: np.ndarray, idf: dict[str, float]):
        self.items, self.vectors, self.idf = items, vectors, idf
        self.terms = [terms(s.text) for s in items]
        self.headings = [terms(s.section) for s in items]

    def best(self, item: Sentence, vector: np.ndarray, wanted: set[str]) -> tuple[float, str, str]:
        """The best score of `item` against this side's sentences in scope (same page; same
        section for SECTIONED pages), alone or in runs of up to WINDOW within one block."""
        scope = [j for j, o in enumerate(self.items) if o.page == item.page]
        if item.page_kind in SECTIONED:
            scope = [j for j in scope if self.items[j].section == item.section]
        if not scope:
            return 0.0, "", "no section of this name" if item.page_kind in SECTIONED else "no page with this URL"
        # Naming the page (and, where both sides share headings, the section) is framing: the
        # evidence must come from the rest of the sentence. A heading on the other side is
        # text its reader sees, so it counts as evidence.
        wanted = wanted - terms(item.title) - (terms(item.section) if item.page_kind in SECTIONED else set())
        weight = sum(self.idf.get(t, 1.0) for t in wanted)
        best, best_run = -1.0, scope[:1]
        for start in range(len(scope)):
            longest = len(scope) - start if self.items[scope[start]].enum else WINDOW
            for size in range(1, longest + 1):
                run = scope[start : start + size]
                if len(run) < size or self.items[run[-1]].block != self.items[run[0]].block:
                    break
                total = self.vectors[run].sum(axis=0)
                cos = float(vector @ total) / (float(np.linalg.norm(total)) or 1.0)
                found = self.headings[run[0]].union(*(self.terms[j] for j in run))
                overlap = sum(self.idf.get(t, 1.0) for t in wanted & found) / weight if wanted else 1.0
                score = COS_WEIGHT * cos + (1 - COS_WEIGHT) * overlap
                if score > best:
                    best, best_run = score, run
        return best, " ".join(self.items[j].text for j in best_run), self.items[best_run[0]].where


def terms(text: str) -> set[str]:
    """Content words, stemmed and cut to six letters, so that a paraphrase's "achieved" meets
    the map's "achievement" and "verifiers" meets "verification"."""
    return {stem(w)[:6] for w in tokens(plain(text)) if w not in STOPWORDS and w not in FRAMING}


def plain(text: str) -> str:
    return MARKUP.sub("", text)


def format_report(report: CoverageReport, content_dir: Path, source: Path) -> str:
    s = report.summary
    lines = [
        f"Coverage of {content_dir} against {source}:",
        (
            f"units {s['units']}, covered {s['covered']}, weak {s['weak']}, missing {s['missing']}; "
            f"content sentences {s['content_sentences']}, invented {s['invented']}"
        ),
    ]
    for title, items, status in (
        ("Missing (no faithful counterpart in content/)", report.units, "missing"),
        ("Weak (check by eye that the counterpart is a true paraphrase)", report.units, "weak"),
        ("Invented (no fact of the source backs it)", report.lines, "invented"),
    ):
        found = sorted((f for f in items if f.status == status), key=lambda f: f.score)
        if found:
            lines += ["", f"{title}: {len(found)}"]
            for f in found:
                lines.append(f"- {f.label} ({f.score:.2f}): {f.text}")
                lines.append(f"    closest: {f.closest_where}: {f.closest}")
    return "\n".join(lines)

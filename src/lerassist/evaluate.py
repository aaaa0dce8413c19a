"""Run a question set against an Assistant and score it.

The YAML format is shared with other question sets, so it is checked strictly and a bad file
is refused with the item and field named, never half-scored.
"""

from __future__ import annotations

import fnmatch
import re
import statistics
import time
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from .models import Answer, url_path

MARKER = re.compile(r"\[\d+\]")


@dataclass(frozen=True)
class Question:
    id: str
    question: str
    expected_sources: tuple[str, ...]
    must_include: tuple[tuple[str, ...], ...]
    answerable: bool = True


@dataclass
class Result:
    question: Question
    answer: Answer
    latency_ms: float
    rank: int | None
    facts_met: int

    @property
    def words(self) -> int:
        return answer_words(self.answer.text)


@dataclass
class Report:
    results: list[Result]
    metrics: dict = field(default_factory=dict)


def load_questions(path: Path) -> list[Question]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as err:
        raise ValueError(f"{path}: not valid YAML ({err})") from None
    if not isinstance(data, list) or not data:
        raise ValueError(f"{path}: expected a non-empty list of questions")
    questions, seen = [], set()
    for n, item in enumerate(data, start=1):
        where = f"{path}: item {n}"
        if not isinstance(item, dict):
            raise ValueError(f"{where}: expected a mapping")
        qid = str(item.get("id") or f"q{n}")
        if qid in seen:
            raise ValueError(f"{where}: duplicate id '{qid}'")
        seen.add(qid)
        text = item.get("question")
        if not isinstance(text, str) or not text.strip():
            raise ValueError(f"{where} ({qid}): 'question' must be non-empty text")
        sources = item.get("expected_sources") or []
        groups = item.get("must_include") or []
        if not isinstance(sources, list) or not all(isinstance(s, str) for s in sources):
            raise ValueError(f"{where} ({qid}): 'expected_sources' must be a list of strings")
        if not isinstance(groups, list):
            raise ValueError(f"{where} ({qid}): 'must_include' must be a list of groups")
        groups = [g if isinstance(g, list) else [g] for g in groups]
        answerable = item.get("answerable", True)
        if not isinstance(answerable, bool):
            raise ValueError(f"{where} ({qid}): 'answerable' must be true or false")
        questions.append(
            Question(qid, text, tuple(s.strip("/") for s in sources), tuple(tuple(str(a) for a in g) for g in groups), answerable)
        )
    return questions


def answer_words(text: str) -> int:
    return len(MARKER.sub(" ", text).split())


def source_rank(question: Question, answer: Answer) -> int | None:
    for rank, citation in enumerate(answer.citations, start=1):
        path = url_path(citation.url)
        if any(fnmatch.fnmatchcase(path, glob) for glob in question.expected_sources):
            return rank
    return None


def facts_met(question: Question, answer: Answer) -> int:
    text = answer.text.lower()
    return sum(1 for group in question.must_include if any(alt.lower() in text for alt in group))


def run(assistant, questions: list[Question]) -> Report:
    assistant.ask(questions[0].question)
    results = []
    for q in questions:
        started = time.perf_counter()
        answer = assistant.ask(q.question)
        elapsed = (time.perf_counter() - started) * 1000
        results.append(Result(q, answer, elapsed, source_rank(q, answer), facts_met(q, answer)))
    return Report(results, metrics(results))


def metrics(results: list[Result]) -> dict:
    answerable = [r for r in results if r.question.answerable]
    unanswerable = [r for r in results if not r.question.answerable]
    groups = sum(len(r.question.must_include) for r in answerable)
    latencies = sorted(r.latency_ms for r in results)
    answered = [r.words for r in results if not r.answer.abstained]

    def share(n, d):
        return round(n / d, 4) if d else None

    return {
        "questions": len(results),
        "answerable": len(answerable),
        "hit@1": share(sum(1 for r in answerable if r.rank == 1), len(answerable)),
        "hit@5": share(sum(1 for r in answerable if r.rank and r.rank <= 5), len(answerable)),
        "mrr": share(sum(1 / r.rank for r in answerable if r.rank), len(answerable)),
        "fact_recall": share(sum(r.facts_met for r in answerable), groups),
        "abstention_accuracy": share(sum(1 for r in unanswerable if r.answer.abstained), len(unanswerable)),
        "false_abstentions": sum(1 for r in answerable if r.answer.abstained),
        "answer_words_median": statistics.median(answered) if answered else 0,
        "latency_ms_p50": round(percentile(latencies, 50), 2),
        "latency_ms_p95": round(percentile(latencies, 95), 2),
    }


def percentile(values: list[float], pct: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    pos = (len(ordered) - 1) * pct / 100
    low, high = int(pos), min(int(pos) + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


def failures(report: Report) -> list[tuple[Result, str]]:
    out = []
    for r in report.results:
        q = r.question
        if not q.answerable:
            if not r.answer.abstained:
                out.append((r, "answered an out-of-scope question"))
            continue
        problems = []
        if r.answer.abstained:
            problems.append("abstained")
        elif r.rank != 1:
            problems.append(f"expected source at rank {r.rank or '-'}")
        if r.facts_met < len(q.must_include):
            problems.append(f"facts {r.facts_met}/{len(q.must_include)}")
        if problems:
            out.append((r, ", ".join(problems)))
    return out


def format_report(report: Report) -> str:
    lines = ["metric                 value", "---------------------  --------"]
    for key, value in report.metrics.items():
        lines.append(f"{key:<21}  {value if value is not None else '-'}")
    bad = failures(report)
    lines.append("")
    lines.append(f"failures: {len(bad)}" if bad else "failures: none")
    for r, why in bad:
        top = r.answer.citations[0] if r.answer.citations else None
        got = f"{top.title} › {top.section}" if top else "(no citation)"
        lines.append(f"- {r.question.id}: {r.question.question!r}: {why}; top: {got}")
    return "\n".join(lines)

"""content/ -> pages -> passages.

A broken page must stop the build with the file, the line and the problem named: an index built
from half the map answers wrongly without anyone noticing.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from .models import Passage

KINDS = {"stakeholder", "glossary", "guide", "resources", "about", "home"}
PHASES = ("developing", "issuing", "using", "adopting")
ACTION_AREAS = {
    "promoting": "Promoting Adoption",
    "building": "Building Employer Demand",
    "gathering": "Gathering Data on Impact",
    "supporting": "Supporting Degree- and Skills-Based Systems",
}
# Bumped whenever the way pages become passages changes, so old indexes are rebuilt.
CHUNKING_VERSION = "1"
MAX_WORDS = 170


class ContentError(ValueError):
    """A content file the build refuses; the message names the file and line."""

    def __init__(self, path: Path, problem: str, line: int | None = None):
        self.path, self.problem, self.line = path, problem, line
        where = f"{path}:{line}" if line else str(path)
        super().__init__(f"{where}: {problem}")


@dataclass(frozen=True)
class Section:
    heading: str
    body: str
    line: int


@dataclass(frozen=True)
class Page:
    path: Path
    title: str
    url: str
    kind: str
    stakeholder: str
    sections: tuple[Section, ...]


def content_files(content_dir: Path) -> list[Path]:
    if not content_dir.is_dir():
        raise ContentError(content_dir, "content folder not found")
    files = sorted(p for p in content_dir.rglob("*.md") if p.name.lower() != "readme.md")
    if not files:
        raise ContentError(content_dir, "no Markdown pages in the content folder")
    return files


def content_hash(content_dir: Path) -> str:
    """Changes whenever any page's name or bytes change: the manifest compares it to rebuild."""
    digest = hashlib.sha256()
    for path in content_files(content_dir):
        digest.update(str(path.relative_to(content_dir)).encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


def parse_page(path: Path) -> Page:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as err:
        raise ContentError(path, f"not UTF-8 text ({err.reason})") from err
    lines = text.splitlines()
    if not lines or lines[0].strip() != "---":
        raise ContentError(path, "front matter missing: the file must start with a '---' line", 1)
    try:
        end = next(i for i in range(1, len(lines)) if lines[i].strip() == "---")
    except StopIteration:
        raise ContentError(path, "front matter is not closed with a '---' line", 1) from None
    try:
        meta = yaml.safe_load("\n".join(lines[1:end])) or {}
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        line = mark.line + 2 if mark else 1
        problem = getattr(err, "problem", None) or str(err)
        raise ContentError(path, f"front matter is not valid YAML ({problem})", line) from None
    if not isinstance(meta, dict):
        raise ContentError(path, "front matter must be key: value pairs", 2)
    for key in ("title", "url", "kind"):
        if not str(meta.get(key) or "").strip():
            raise ContentError(path, f"front matter has no '{key}'", 2)
    kind = str(meta["kind"]).strip()
    if kind not in KINDS:
        raise ContentError(path, f"unknown kind '{kind}' (expected one of: {', '.join(sorted(KINDS))})", 2)
    url = str(meta["url"]).strip()
    if not re.match(r"^https?://[^\s/]+(/\S*)?$", url):
        raise ContentError(path, f"url '{url}' is not an absolute http(s) URL", 2)
    stakeholder = str(meta.get("stakeholder") or "").strip()
    if kind == "stakeholder" and not stakeholder:
        raise ContentError(path, "a stakeholder page needs a 'stakeholder' slug", 2)
    sections = _sections(path, lines, end + 1)
    return Page(path, str(meta["title"]).strip(), url, kind, stakeholder, sections)


def _sections(path: Path, lines: list[str], start: int) -> tuple[Section, ...]:
    sections: list[Section] = []
    heading, body, head_line = None, [], 0
    for number, line in enumerate(lines[start:], start=start + 1):
        if line.startswith("## "):
            if heading is not None:
                sections.append(_section(path, heading, body, head_line))
            heading, body, head_line = line[3:].strip(), [], number
        elif line.startswith("#"):
            if re.match(r"^#{1,6}\s", line):
                raise ContentError(path, "only '## ' headings are allowed", number)
            body.append(line)
        elif heading is None:
            if line.strip():
                raise ContentError(path, "text before the first '## ' section", number)
        else:
            body.append(line)
    if heading is not None:
        sections.append(_section(path, heading, body, head_line))
    if not sections:
        raise ContentError(path, "no '## ' sections", start + 1)
    return tuple(sections)


def _section(path: Path, heading: str, body: list[str], line: int) -> Section:
    text = "\n".join(body).strip()
    if not heading:
        raise ContentError(path, "empty section heading", line)
    if not text:
        raise ContentError(path, f"section '{heading}' is empty", line)
    return Section(heading, text, line)


def load_pages(content_dir: Path) -> list[Page]:
    pages = [parse_page(p) for p in content_files(content_dir)]
    seen: dict[tuple[str, str], Path] = {}
    for page in pages:
        for section in page.sections:
            key = (page.url, section.heading)
            if key in seen:
                raise ContentError(page.path, f"section '{section.heading}' of {page.url} also in {seen[key]}", section.line)
            seen[key] = page.path
    return pages


def load_passages(content_dir: Path) -> list[Passage]:
    passages = []
    for page in load_pages(content_dir):
        rel = page.path.relative_to(content_dir).with_suffix("").as_posix()
        for section in page.sections:
            chunks = split_long(section.body)
            for i, chunk in enumerate(chunks):
                suffix = f"-{i + 1}" if len(chunks) > 1 else ""
                passages.append(
                    Passage(
                        id=f"{rel}#{slugify(section.heading)}{suffix}",
                        text=chunk,
                        title=page.title,
                        section=section.heading,
                        url=page.url,
                        kind=page.kind,
                        stakeholder=page.stakeholder,
                        phase=phase_of(section.heading),
                        action_area=action_area_of(section.heading),
                        source=f"{page.path.name}:{section.line}",
                    )
                )
    return passages


def split_long(body: str) -> list[str]:
    """Keep a section whole unless it is long; then cut between blocks (paragraphs or bullets)
    and repeat the section's opening block on each part so every part still names its subject."""
    if len(body.split()) <= MAX_WORDS:
        return [body]
    blocks = [b for b in re.split(r"\n(?=- |\d+\. )|\n\s*\n", body) if b.strip()]
    lead, rest = blocks[0].strip(), blocks[1:]
    chunks, current = [], [lead]
    for block in rest:
        if len(" ".join(current + [block]).split()) > MAX_WORDS and len(current) > 1:
            chunks.append("\n".join(current))
            current = [lead]
        current.append(block.strip())
    chunks.append("\n".join(current))
    return chunks


def phase_of(heading: str) -> str:
    words = heading.lower().split()
    return next((p for p in PHASES if p in words and "phase" in heading.lower()), "")


def action_area_of(heading: str) -> str:
    if not heading.lower().startswith("action area"):
        return ""
    low = heading.lower()
    return next((key for key in ACTION_AREAS if key[:5] in low), "")


def slugify(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")

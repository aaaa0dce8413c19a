"""Reading a checkout of the map's repository: finding its files, parsing them, and cleaning
every value, with each repair reported; plus the page model the import writes.

The real source has quirks (HTML and entities inside YAML values, a string where a list
belongs, stray whitespace); they are repaired here, in one place, and every repair becomes a
warning so that nobody mistakes a patched copy for the map itself. A missing or malformed file
is an error naming the file (and the line when known).
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from pathlib import Path

import yaml

SITE = "https://lermap.t3networkhub.org"
NUMBERS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve"]
ENTITY = re.compile(r"&(?:#\d+|#x[0-9a-f]+|[a-z][a-z0-9]*);", re.IGNORECASE)
TAG = re.compile(r"<[^>]+>")
PARAGRAPH_BREAK = re.compile(r"</p>\s*<p[^>]*>|<br\s*/?>", re.IGNORECASE)


class MapSourceError(ValueError):
    """A map source the import refuses; the message names the file (and line when known)."""

    def __init__(self, path: Path, problem: str, line: int | None = None):
        where = f"{path}:{line}" if line else str(path)
        super().__init__(f"{where}: {problem}")


@dataclass
class Block:
    """One written line. `fact` names the kind of fact of the map it states; empty for the
    importer's own framing words."""

    text: str
    fact: str = ""
    marker: str = ""  # "" (paragraph), "- " (bullet) or "1. " (numbered sense)


@dataclass
class Section:
    heading: str
    blocks: list[Block]


@dataclass
class ImportedPage:
    file: str
    title: str
    url: str
    kind: str
    sections: list[Section]
    stakeholder: str = ""

    def markdown(self) -> str:
        front = [f"title: {yaml_text(self.title)}", f"url: {self.url}", f"kind: {self.kind}"]
        if self.stakeholder:
            front.append(f"stakeholder: {self.stakeholder}")
        out = ["---", *front, "---", ""]
        for section in self.sections:
            out += [f"## {section.heading}", ""]
            previous = None
            for block in section.blocks:
                if previous is not None and not (block.marker and previous.marker):
                    out.append("")
                out.append(block.marker + block.text)
                previous = block
            out.append("")
        return "\n".join(out)


class SourceReader:
    """Finds and parses the source files, cleans values, and collects the warnings."""

    def __init__(self, root: Path):
        if not root.is_dir():
            raise MapSourceError(root, "map source folder not found")
        self.root, self.read, self.warnings = root, [], []
        self.names: dict[str, str] = {}  # page file name -> where it was found, for warnings

    def rel(self, path: Path) -> str:
        return path.relative_to(self.root).as_posix()

    def warn(self, file: str, problem: str) -> None:
        self.warnings.append(f"{file}: {problem}")

    def find(self, name: str) -> Path | None:
        """The real repository keeps pages under pages/ or at the top level: accept both."""
        return next((p for p in (self.root / "pages" / name, self.root / name) if p.is_file()), None)

    def data(self, name: str):
        path = self.root / "_data" / name
        if not path.is_file():
            raise MapSourceError(path, "missing: the map's data files live in _data/")
        text = read_text(path)
        try:
            loaded = yaml.safe_load(text)
        except yaml.YAMLError as err:
            mark = getattr(err, "problem_mark", None)
            raise MapSourceError(path, f"not valid YAML ({getattr(err, 'problem', None) or err})", mark.line + 1 if mark else None) from None
        if not isinstance(loaded, dict):
            raise MapSourceError(path, "expected a mapping at the top of the file")
        trailing = [n for n, line in enumerate(text.splitlines(), start=1) if line != line.rstrip()]
        if trailing:
            self.warn(f"_data/{name}", f"trailing whitespace ignored on lines {', '.join(map(str, trailing[:5]))}{', ...' if len(trailing) > 5 else ''}")
        self.read.append(f"_data/{name}")
        return loaded

    def page(self, name: str) -> str:
        path = self.find(name)
        if path is None:
            raise MapSourceError(self.root / "pages" / name, f"missing: expected pages/{name} or {name} at the top level")
        text = read_text(path)
        if text.startswith("---"):
            end = text.find("\n---", 3)
            if end < 0:
                raise MapSourceError(path, "front matter is not closed with a '---' line", 1)
            try:
                yaml.safe_load(text[3:end])
            except yaml.YAMLError as err:
                raise MapSourceError(path, f"front matter is not valid YAML ({getattr(err, 'problem', None) or err})", 1) from None
            text = text[end + 4 :]
        self.read.append(self.rel(path))
        self.names[name] = self.rel(path)
        return text

    def text(self, value, file: str, where: str, paragraphs: bool = False) -> str:
        """A YAML value as clean text; HTML markup and entities are repaired and reported.
        With `paragraphs`, a </p><p> break is kept as a blank line, otherwise as a space."""
        if value is None:
            return ""
        if isinstance(value, (int, float)):
            value = str(value)
        if not isinstance(value, str):
            raise MapSourceError(self.root / file, f"{where}: expected text, found a {type(value).__name__}")
        text = value
        tags = TAG.findall(text)
        if tags:
            text = TAG.sub(" ", PARAGRAPH_BREAK.sub("\n\n", text))
            self.warn(file, f"{where}: removed HTML markup {' '.join(sorted(set(tags)))}")
        entities = ENTITY.findall(text)
        if entities:
            text = html.unescape(text)
            self.warn(file, f"{where}: decoded HTML entities {' '.join(sorted(set(entities)))}")
        parts = [" ".join(p.split()) for p in text.split("\n\n")]
        cleaned = ("\n\n" if paragraphs else " ").join(p for p in parts if p)
        if not tags and not entities and cleaned != text:
            self.warn(file, f"{where}: removed stray whitespace")
        return cleaned

    def items(self, value, file: str, where: str) -> list:
        """A list the map means as a list; a single string (the live site then shows one bullet
        per character) is read as one item."""
        if value is None or value == "":
            return []
        if isinstance(value, str):
            self.warn(file, f"{where}: a string where a list is expected; read as one item")
            return [value]
        if not isinstance(value, list):
            raise MapSourceError(self.root / file, f"{where}: expected a list, found a {type(value).__name__}")
        return value


def require_list(data, key: str, file: str, r: SourceReader) -> list:
    value = data.get(key) if isinstance(data, dict) else None
    if not isinstance(value, list) or not value:
        raise MapSourceError(r.root / file, f"expected a non-empty list under '{key}'")
    return value


def entries(r: SourceReader, data, key: str, field: str, file: str):
    """(entry, its name) for each entry listed under `key`; an entry without a name is refused."""
    for n, entry in enumerate(require_list(data, key, file, r), start=1):
        name = r.text(entry.get(field) if isinstance(entry, dict) else None, file, f"{key} {n} › {field}")
        if not name:
            raise MapSourceError(r.root / file, f"{key} {n} has no '{field}'")
        yield entry, name


def named(lead: str, paragraphs: list[str], fact: str) -> list[Block]:
    """A fact's paragraphs, the first opening with the name of what it is about."""
    return [Block(lead + paragraphs[0], fact)] + [Block(p, fact) for p in paragraphs[1:]]


def count_word(n: int) -> str:
    return NUMBERS[n] if n < len(NUMBERS) else str(n)


def read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as err:
        raise MapSourceError(path, f"not UTF-8 text ({err.reason})") from None


def yaml_text(text: str) -> str:
    """A front matter value that YAML reads back unchanged ("Learners & Earners" included)."""
    return text if re.fullmatch(r"[A-Za-z0-9][\w .,&'()/-]*", text) and ": " not in text else '"' + text.replace('"', '\\"') + '"'

"""The map's pages (pages/*.md, mostly HTML) as content pages: LERs explained, technical
guidance, about, and the home page.

The pages have no sections of their own beyond a few headings, so their text is grouped under
its headings and packed into passages the build keeps whole; lists stay with the line that
introduces them, and the layout's duplicates (the home page draws its map twice) are dropped.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from html.parser import HTMLParser

from .mapsource import (
    SITE,
    Block,
    ImportedPage,
    Section,
    SourceReader,
    count_word,
    named,
)

SMALL_WORDS = {"and", "or", "of", "the", "a", "an", "in", "on", "for", "to"}
INVISIBLE = re.compile("[\u200b\u200c\u200d\u2060\ufeff]")
# Splitting a long page into topics: text under one heading longer than TOPIC_WORDS is split;
# a paragraph shorter than MIN_TOPIC_WORDS joins its neighbour; a list whose points average
# more than LONG_POINT_WORDS is split into one section per point; a topic is named by at most
# LEAD_WORDS of its opening words.
TOPIC_WORDS = 100
MIN_TOPIC_WORDS = 20
LONG_POINT_WORDS = 25
LEAD_WORDS = 8


@dataclass
class _Html:
    kind: str  # h1..h6, p, li, blockquote or div
    text: str
    depth: int = 0  # how many lists enclose it
    bold: bool = False  # wholly bold: how the map marks the C-BEN principle names
    logo: bool = False  # an image link: the image's alt text names the organisation


class _HtmlBlocks(HTMLParser):
    """HTML -> text blocks in reading order. Links keep their absolute URL in brackets, since
    content/ cites URLs too; icons and layout carry no text of the map and are dropped."""

    BLOCKS = frozenset({"p", "div", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "section", "table", "tr", "td"})

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.blocks: list[_Html] = []
        self.repairs: Counter = Counter()
        self.stack: list[str] = []
        self.buf: list[str] = []
        self.bold_buf: list[str] = []
        self.bold = self.skip = 0
        self.link: dict | None = None
        self.logo = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in ("script", "style"):
            self.skip += 1
        elif tag in self.BLOCKS:
            self._flush()
            self.stack.append(tag)
        elif tag in ("strong", "b"):
            self.bold += 1
        elif tag == "a":
            self.link = {"href": (attrs.get("href") or "").strip(), "start": len(self.buf), "alt": "", "split": False}
        elif tag == "img" and self.link is not None and not self.link["alt"]:
            self.link["alt"] = re.sub(r"\s+logo$", "", (attrs.get("alt") or "").strip(), flags=re.IGNORECASE)
        elif tag == "br":
            self.buf.append(" ")

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self.skip -= 1
        elif tag in self.BLOCKS:
            self._flush()
            if tag in self.stack:
                while self.stack.pop() != tag:
                    pass
        elif tag in ("strong", "b"):
            self.bold = max(0, self.bold - 1)
        elif tag == "a" and self.link is not None:
            link, self.link = self.link, None
            if link["split"]:
                return
            has_text = "".join(self.buf[link["start"] :]).strip()
            if not has_text and link["alt"]:
                self.buf.append(link["alt"])
                self.logo = True
            if link["href"].startswith(("http://", "https://")) and (has_text or link["alt"]):
                self.buf.append(f" ({link['href']})")

    def handle_data(self, data):
        if not self.skip:
            self.buf.append(data)
            if self.bold:
                self.bold_buf.append(data)

    def _flush(self):
        if self.link is not None:
            self.link["split"] = True  # a block inside a link (the home page's stakeholder tiles)
        text, bold = self._normalize("".join(self.buf)), self._normalize("".join(self.bold_buf), count=False)
        logo, self.buf, self.bold_buf, self.logo = self.logo, [], [], False
        if text:
            kind = next((t for t in reversed(self.stack) if t not in ("div", "ul", "ol", "section", "table", "tr", "td")), "div")
            depth = sum(1 for t in self.stack if t in ("ul", "ol"))
            self.blocks.append(_Html(kind, text, depth, bold == text, logo))

    def _normalize(self, text: str, count: bool = True) -> str:
        invisible = len(INVISIBLE.findall(text))
        text = " ".join(INVISIBLE.sub("", text).replace("\xa0", " ").split())
        fixed = re.sub(r" ([,.;:!?)])", r"\1", text)
        if count:
            self.repairs["invisible characters removed"] += invisible
            self.repairs["spaces before punctuation removed"] += text.count(" ") - fixed.count(" ")
        return fixed


def _parse(r: SourceReader, name: str, markup: str) -> list[_Html]:
    parser = _HtmlBlocks()
    parser.feed(markup)
    parser.close()
    for what, count in sorted(parser.repairs.items()):
        if count:
            r.warn(r.names[name], f"{what}: {count}")
    return parser.blocks


@dataclass
class _Item:
    """A paragraph, or a list with the paragraph just before it, which introduces it."""

    text: str = ""
    bullets: list[list[str]] | None = None  # each bullet: its text, then nested items
    bold: bool = False


def _groups(blocks: list[_Html]) -> list[tuple[str, str, list[_Item]]]:
    """(heading, heading tag, items) for each h1-h3 of the page, in order."""
    groups: list[tuple[str, str, list[_Item]]] = [("", "", [])]
    for b in blocks:
        if b.kind in ("h1", "h2", "h3"):
            groups.append((b.text, b.kind, []))
            continue
        items = groups[-1][2]
        if b.kind == "li" or b.logo:
            last = items[-1] if items else None
            if last is not None and last.bullets is not None and b.depth > 1 and last.bullets:
                last.bullets[-1].append(b.text)
            elif last is not None and last.bullets is not None:
                last.bullets.append([b.text])
            else:
                # The paragraph just before a list introduces it: they stay in one passage.
                intro = items.pop().text if last is not None and not last.bold else ""
                items.append(_Item(intro, [[b.text]]))
        else:
            items.append(_Item(b.text, bold=b.bold))
    return [g for g in groups if g[2]]


def _item_blocks(item: _Item, fact: str, list_fact: str) -> list[Block]:
    blocks = [Block(item.text, fact)] if item.text else []
    # A nested list stays inside its parent bullet, so every bullet is still one fact.
    return blocks + [Block(_bullet_text(point), list_fact, "- ") for point in item.bullets or []]


def _words(item: _Item) -> int:
    return len(item.text.split()) + sum(len(" ".join(b).split()) for b in item.bullets or [])


def _pack(heading: str, items: list[_Item], list_fact: str = "list item") -> list[Section]:
    """The text under one heading as sections the build keeps whole. A short text (at most
    TOPIC_WORDS) stays one section. Longer text (the map's About and guide pages run many topics
    under one heading) becomes one section per topic, each named by its own opening words: a
    passage about one thing embeds closer to a question about it than a mixed "part 3", and
    its citation says what it is. A list introduced by a short line ("Advantages of ...:")
    becomes a section named by that line; a list of long points, one section per point."""
    sections: list[Section] = []
    if all(not (it.bullets and _is_label(it.text)) for it in items) and sum(map(_words, items)) <= TOPIC_WORDS:
        return [Section(heading, [b for it in items for b in _item_blocks(it, "paragraph", list_fact)])]
    current: list[_Item] = []

    def close():
        if current:
            name = heading if not sections else f"{heading}: {_lead(current[0].text)}"
            sections.append(Section(name, [b for it in current for b in _item_blocks(it, "paragraph", list_fact)]))
            current.clear()

    for item in items:
        if item.bullets and _is_label(item.text):
            close()
            sections.append(Section(item.text.rstrip(":").strip(), _item_blocks(item, "paragraph", list_fact)))
        elif item.bullets and _words(item) - len(item.text.split()) > LONG_POINT_WORDS * len(item.bullets):
            close()
            if item.text:
                current.append(_Item(item.text))
                close()
            # "Compared to traditional resumes, LERs are:" reads on into each point's name.
            last = re.split(r"(?<=[.!?])\s+", item.text)[-1]
            label = last.rstrip(":") + " " if _is_label(last) and len(last.split()) <= LEAD_WORDS else ""
            for point in item.bullets:
                text = _bullet_text(point)
                sections.append(Section(f"{heading}: {label}{_lead(text)}", [Block(text, list_fact)]))
        elif current and (_words(item) < MIN_TOPIC_WORDS or sum(map(_words, current)) < MIN_TOPIC_WORDS):
            current.append(item)  # a line too short to be a topic of its own goes with its neighbour
        else:
            close()
            current.append(item)
    close()
    return sections


def _lead(text: str) -> str:
    """A topic's name from its opening words: its first sentence up to a colon or dash, links
    left out, at most LEAD_WORDS words."""
    sentence = re.split(r"(?<=[.!?])\s", re.sub(r"\s\(https?://[^)]*\)", "", text), maxsplit=1)[0]
    words = re.split(r":\s|\s[–—-]\s", sentence, maxsplit=1)[0].rstrip(".:;,").split()
    return " ".join(words[:LEAD_WORDS]).rstrip(",;") + ("…" if len(words) > LEAD_WORDS else "")


def _bullet_text(point: list[str]) -> str:
    parent, *nested = point
    return f"{parent}: {'; '.join(nested)}" if nested else parent


def _is_label(text: str) -> bool:
    """One short sentence ending with ':' names the list after it ("Advantages of ...:")."""
    return text.endswith(":") and len(text.split()) <= 15 and not re.search(r"[.!?] ", text)


def lers_explained_page(r: SourceReader, markup: str) -> ImportedPage:
    sections, step, carried = [], 0, []
    for heading, tag, items in _groups(_parse(r, "lers-explained.md", markup)):
        if tag == "h3":
            step += 1
            heading = f"Worked example, step {step}: {heading}"
        elif sum(map(_words, items)) < 15:
            # A one-line introduction ("The steps below illustrate...") is no passage of its
            # own: it opens the next section instead.
            carried += items
            continue
        sections += _pack(heading or "LERs Explained", carried + items)
        carried = []
    return ImportedPage("lers-explained.md", "LERs Explained", f"{SITE}/lers-explained", "guide", sections)


def technical_guidance_page(r: SourceReader, markup: str) -> ImportedPage:
    sections = []
    for heading, _, items in _groups(_parse(r, "technical-guidance.md", markup)):
        heading = heading or "Technical Guidance"
        first = next((i for i, it in enumerate(items) if it.bold), None)
        if first is None:
            sections += _pack(heading, items, "VC advantage")
            continue
        intro = items[first - 1] if first and not items[first - 1].bullets else None
        sections += _pack(heading, items[: first - 1 if intro else first], "VC advantage")
        principles: list[tuple[str, list[str]]] = []
        for item in items[first:]:
            if item.bold:
                principles.append((_title_case(item.text), []))
            else:
                principles[-1][1].append(item.text)
        overview = [Block(intro.text, "paragraph")] if intro else []
        overview.append(Block(f"The {count_word(len(principles))} C-BEN interoperability principles:"))
        overview += [Block(name, "C-BEN principle name", "- ") for name, _ in principles]
        sections.append(Section("C-BEN interoperability principles", overview))
        for name, texts in principles:
            if not texts:
                r.warn(r.names["technical-guidance.md"], f"C-BEN principle '{name}' has no text; left out")
                continue
            sections.append(Section(f"C-BEN principle: {name}", named(f"{name}: ", texts, "C-BEN principle")))
    return ImportedPage("technical-guidance.md", "Technical Guidance", f"{SITE}/technical-guidance", "guide", sections)


def about_page(r: SourceReader, markup: str) -> ImportedPage:
    sections = []
    for heading, _, items in _groups(_parse(r, "about.md", markup)):
        sections += _pack(heading or "About the LER Ecosystem Map", items, "contributor")
    return ImportedPage("about.md", "About the LER Ecosystem Map", f"{SITE}/about", "about", sections)


def home_page(r: SourceReader, markup: str, intro_markup: str, phases: Section, actions) -> ImportedPage:
    """The home page is mostly the clickable map, drawn twice (mobile and desktop): its texts
    and stakeholder names are kept once; the phases come from the stakeholder pages' subheaders
    and the action areas from their data file, as the site shows them."""
    blocks = _parse(r, "index.md", markup)
    first_h1 = next((i for i, b in enumerate(blocks) if b.kind == "h1"), len(blocks))
    tiles = blocks[:first_h1]
    names = list(dict.fromkeys(b.text for b in tiles if b.kind == "h4"))
    texts = [b.text for b in tiles if b.kind in ("p", "div", "li", "blockquote")]
    texts = [t for t in dict.fromkeys(texts) if not any(u != t and u.startswith(t) for u in texts)]
    sections = [
        Section(
            f"The {count_word(len(names))} stakeholders in the LER ecosystem",
            [Block(t, "paragraph") for t in texts] + [Block(n, "stakeholder name", "- ") for n in names],
        ),
        phases,
    ]
    for heading, _, items in _groups(blocks[first_h1:]):
        sections += _pack(heading or "LER Ecosystem Map", items)
    intro = _parse(r, "action-areas-intro.html", intro_markup)
    label = next((b.text for b in intro if b.kind in ("h1", "h2", "h3")), "Action Areas")
    overview = [Block(b.text, "paragraph") for b in intro if b.kind not in ("h1", "h2", "h3")]
    overview.append(Block(f"Each stakeholder page shows its actions under “{label}”, in {count_word(len(actions))} action areas:"))
    overview += [Block(title, "action area name", "- ") for title, _ in actions.values()]
    sections.append(Section(f"The {count_word(len(actions))} action areas", overview))
    for title, description in actions.values():
        sections.append(Section(f"Action area: {title}", named(f"{title}: ", description, "action-area description")))
    return ImportedPage("home.md", "LER Ecosystem Map", f"{SITE}/", "home", sections)


def _title_case(text: str) -> str:
    if not text.isupper():
        return text
    words = text.lower().split()
    return " ".join(w if i and w in SMALL_WORDS else w.capitalize() for i, w in enumerate(words))

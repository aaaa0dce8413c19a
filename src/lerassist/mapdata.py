"""The map's data files (_data/*.yml) as pages: one per stakeholder, the glossary, the
resources, and the action areas and phases the home page shows.

The map's wording is kept; the only words added are framing lines ("The business case for
Employers:") that give each section the shape content/ uses, so the same questions find the same
sections. Every line is marked as a fact of the map (with its kind) or as framing.
"""

from __future__ import annotations

import re
from collections import Counter

from .content import ACTION_AREAS, PHASES
from .mapsource import (
    SITE,
    Block,
    ImportedPage,
    MapSourceError,
    Section,
    SourceReader,
    count_word,
    entries,
    named,
)

FILE = "_data/stakeholders-list.yml"


def stakeholder_page(r: SourceReader, entry, n: int, actions: dict[str, tuple[str, list[str]]]) -> ImportedPage:
    """A stakeholder's page with the sections content/ gives it, in the same order."""
    if not isinstance(entry, dict):
        raise MapSourceError(r.root / FILE, f"stakeholder {n}: expected a mapping")
    name = r.text(entry.get("name"), FILE, f"stakeholder {n} name")
    slug = r.text(entry.get("url"), FILE, f"{name or n} url")
    if not name or not re.fullmatch(r"[a-z0-9]+(?:-[a-z0-9]+)*", slug):
        raise MapSourceError(r.root / FILE, f"stakeholder {n}: needs a 'name' and a 'url' slug such as career-navigators")
    sections = [_described(r, entry, name, "definition", f"{name}: "), _described(r, entry, name, "examples", f"Examples of {name}: ")]
    sections += _phase_sections(r, entry, name)
    sections += _stakeholder_action_areas(r, entry, name, actions)
    sections += _case_sections(r, entry, name)
    sections += _quote_section(r, entry, name)
    return ImportedPage(f"stakeholders/{slug}.md", name, f"{SITE}/stakeholder/{slug}", "stakeholder", sections, slug)


def _described(r: SourceReader, entry, name: str, key: str, lead: str) -> Section:
    value = entry.get(key)
    if isinstance(value, list):
        r.warn(FILE, f"{name} › {key}: a list where text is expected; joined with commas")
        value = ", ".join(r.text(v, FILE, f"{name} › {key}") for v in value)
    text = r.text(value, FILE, f"{name} › {key}", paragraphs=True)
    if not text:
        raise MapSourceError(r.root / FILE, f"{name}: has no '{key}'")
    return Section(key.capitalize(), named(lead, text.split("\n\n"), key))


def _phase_sections(r: SourceReader, entry, name: str) -> list[Section]:
    """The four phases in their usual order, whatever order the data lists them in."""
    phases = {}
    for i, phase in enumerate(r.items(entry.get("sections"), FILE, f"{name} › sections"), start=1):
        title = r.text(phase.get("title") if isinstance(phase, dict) else None, FILE, f"{name} › sections {i}")
        if title.lower() not in PHASES:
            r.warn(FILE, f"{name} › sections {i}: unknown phase '{title}'; skipped")
            continue
        phases[title.lower()] = (phase, f"{name} › {title.capitalize()}")
    sections = []
    for key in PHASES:
        if key not in phases:
            r.warn(FILE, f"{name}: no {key.capitalize()} phase")
            continue
        phase, place = phases[key]
        bullets = [b for b in (r.text(b, FILE, place) for b in r.items(phase.get("bullets"), FILE, f"{place} › bullets")) if b]
        if not bullets:
            r.warn(FILE, f"{place}: no roles listed; section left out")
            continue
        subheader = r.text(phase.get("subheader"), FILE, place)
        if not subheader and phase.get("description"):
            subheader = r.text(phase.get("description"), FILE, place)
            r.warn(FILE, f"{place}: no 'subheader'; used its 'description' instead")
        elif not subheader:
            r.warn(FILE, f"{place}: no 'subheader'; the phase is named without one")
        title = key.capitalize()
        if subheader:
            lead = Block(f"In the {title} phase ({subheader}), the roles of {name} are:", "phase subheader")
        else:
            lead = Block(f"In the {title} phase, the roles of {name} are:")
        sections.append(Section(f"{title} phase", [lead] + [Block(b, "role", "- ") for b in bullets]))
    return sections


def _case_sections(r: SourceReader, entry, name: str) -> list[Section]:
    sections = []
    for key, label in (("business-case", "business case"), ("social-case", "social case")):
        cases = []
        for i, case in enumerate(r.items(entry.get(key), FILE, f"{name} › {key}"), start=1):
            case = case if isinstance(case, dict) else {"description": case}
            title = r.text(case.get("title"), FILE, f"{name} › {key} {i}")
            text = r.text(case.get("description"), FILE, f"{name} › {key} {i}")
            if text or title:
                cases.append(Block(f"**{title}**: {text}" if title and text else title or text, label, "- "))
        if cases:
            sections.append(Section(label.capitalize(), [Block(f"The {label} for {name}:")] + cases))
        else:
            r.warn(FILE, f"{name}: no {label}; section left out")
    return sections


def _quote_section(r: SourceReader, entry, name: str) -> list[Section]:
    quote = r.text(entry.get("quote-text"), FILE, f"{name} › quote-text", paragraphs=True)
    who = r.text(entry.get("quote-description"), FILE, f"{name} › quote-description")
    if not quote:
        r.warn(FILE, f"{name}: no quote; section left out")
        return []
    if len(quote) > 1 and quote[0] in "“\"" and quote[-1] in "”\"":
        quote = quote[1:-1].strip()
        r.warn(FILE, f"{name} › quote-text: removed the quotation marks around the whole quote")
    if who:
        lead = Block(f"The {name} page quotes {who}:", "quote attribution")
    else:
        lead = Block(f"The {name} page quotes:")
        r.warn(FILE, f"{name}: quote has no 'quote-description' (attribution)")
    return [Section("Quote", [lead] + [Block(p, "quote") for p in quote.split("\n\n")])]


def _stakeholder_action_areas(r: SourceReader, entry, name: str, actions) -> list[Section]:
    areas = {}
    for i, area in enumerate(r.items(entry.get("action-areas"), FILE, f"{name} › action-areas"), start=1):
        key = r.text(area.get("title") if isinstance(area, dict) else None, FILE, f"{name} › action-areas {i}").lower()
        if key not in ACTION_AREAS:
            r.warn(FILE, f"{name} › action-areas {i}: unknown action area '{key}'; skipped")
            continue
        bullets = [r.text(b, FILE, f"{name} › {key}") for b in r.items(area.get("bullets"), FILE, f"{name} › {key} › bullets")]
        if any(bullets):
            areas[key] = [b for b in bullets if b]
        else:
            r.warn(FILE, f"{name} › {key}: action area with no bullets; left out")
    if not areas:
        r.warn(FILE, f"{name}: empty 'action-areas'; no action-area sections")
    sections = []
    for key, heading in ACTION_AREAS.items():
        if key in areas:
            title, description = actions[key]
            blocks = named(f"{title}: ", description, "action-area description") + [Block(f"{name} can:")] + [Block(b, "action", "- ") for b in areas[key]]
            sections.append(Section(f"Action area: {heading}", blocks))
    return sections


def action_areas(r: SourceReader, data) -> dict[str, tuple[str, list[str]]]:
    """key -> (title as the map words it, description paragraphs)."""
    file = "_data/action-items-content.yml"
    out = {}
    for item, key in entries(r, data, "actions", "name", file):
        key = key.lower()
        if key not in ACTION_AREAS:
            r.warn(file, f"unknown action area '{key}'; skipped")
            continue
        title = r.text(item.get("title"), file, f"{key} title") or ACTION_AREAS[key]
        description = r.text(item.get("description"), file, f"{key} description", paragraphs=True)
        if not description:
            raise MapSourceError(r.root / file, f"action area '{key}' has no description")
        out[key] = (title, description.split("\n\n"))
    for key in ACTION_AREAS:
        if key not in out:
            raise MapSourceError(r.root / file, f"action area '{key}' is missing")
    return out


def glossary_page(r: SourceReader, data) -> ImportedPage:
    file = "_data/glossary-list.yml"
    sections = []
    for item, term in entries(r, data, "terms", "term", file):
        senses = item.get("definition")
        if isinstance(senses, list):
            texts = [r.text(s, file, f"{term} sense {n}") for n, s in enumerate(senses, start=1)]
            blocks = [Block(f"{term} has {count_word(len(texts))} senses on the map:")]
            blocks += [Block(t, "glossary sense", f"{n}. ") for n, t in enumerate(texts, start=1) if t]
        else:
            blocks = named(f"{term}: ", r.text(senses, file, term, paragraphs=True).split("\n\n"), "glossary sense")
        if not any(b.fact and b.text.strip() for b in blocks) or blocks[0].text.endswith(": "):
            raise MapSourceError(r.root / file, f"term '{term}' has no definition")
        sections.append(Section(term, blocks))
    return ImportedPage("glossary.md", "Glossary", f"{SITE}/glossary", "glossary", sections)


def resources_page(r: SourceReader, data) -> ImportedPage:
    file = "_data/resources-list.yml"
    sections = []
    for group, name in entries(r, data, "resources", "name", file):
        blocks = []
        for n, site in enumerate(r.items(group.get("sites"), file, f"{name} › sites"), start=1):
            site = site if isinstance(site, dict) else {"title": site}
            title = r.text(site.get("title"), file, f"{name} › resource {n} title")
            author = r.text(site.get("author"), file, f"{name} › resource {n} author")
            url = r.text(site.get("url"), file, f"{name} › resource {n} url")
            if not title:
                r.warn(file, f"{name} › resource {n}: no title; left out")
                continue
            if not url:
                r.warn(file, f"{name} › resource {n}: no url; listed without a link")
            text = f"*{title}*" + (f" by {author}" if author else "") + (f": <{url}>" if url else "")
            blocks.append(Block(text, "resource", "- "))
        if blocks:
            sections.append(Section(name, [Block(f"The map's Resources page lists {len(blocks)} resources under {name}:")] + blocks))
        else:
            r.warn(file, f"{name}: resource group with no resources; left out")
    return ImportedPage("resources.md", "Resources", f"{SITE}/resources", "resources", sections)


def phases_section(r: SourceReader, stakeholders: list) -> Section:
    """Each phase with the subheader most stakeholder pages give it."""
    seen: dict[str, Counter] = {key: Counter() for key in PHASES}
    for entry in stakeholders:
        for phase in (entry.get("sections") or []) if isinstance(entry, dict) else []:
            if isinstance(phase, dict) and str(phase.get("title", "")).strip().lower() in seen:
                text = " ".join(str(phase.get("subheader") or phase.get("description") or "").split())
                if text:
                    seen[str(phase["title"]).strip().lower()][text] += 1
    blocks = [Block(f"The stakeholder pages describe roles in {count_word(len(PHASES))} phases:")]
    for key in PHASES:
        common = seen[key].most_common(1)
        blocks.append(Block(f"{key.capitalize()}: {common[0][0]}" if common else key.capitalize(), "phase subheader", "- "))
    heading = ", ".join(key.capitalize() for key in PHASES)
    return Section(f"The {count_word(len(PHASES))} phases: {heading}", blocks)

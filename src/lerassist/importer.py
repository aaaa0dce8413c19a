"""Import a checkout of the map's own repository (digitalcredentials/ler-ecosystem-map-v2) into
the content/ format, keeping the map's wording.

People who keep a checkout want answers that quote the map verbatim and follow it when it
changes. Writing the same files, URLs, kinds and section headings as content/ lets every command,
the eval questions and the coverage check run unchanged on the imported copy. Everything is read
and repaired in memory first (mapsource, mapdata, maphtml), so a missing or malformed file stops
the import before anything is written. Every written line is marked as a fact of the map or as
framing; the coverage check takes its facts from here, so the two agree on what the map says.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .mapdata import (
    action_areas,
    glossary_page,
    phases_section,
    resources_page,
    stakeholder_page,
)
from .maphtml import about_page, home_page, lers_explained_page, technical_guidance_page
from .mapsource import ImportedPage, MapSourceError, SourceReader, require_list

MARKER = ".lerassist-import"
DATA = ("stakeholders-list.yml", "action-items-content.yml", "glossary-list.yml", "resources-list.yml")
PAGES = ("index.md", "about.md", "lers-explained.md", "technical-guidance.md", "action-areas-intro.html")
# Older single pages whose text the map repeats in lers-explained.md; importing them would
# duplicate every passage.
SUPERSEDED = ("what-are-lers.md", "how-do-we-use-lers.md")

__all__ = ["MARKER", "MapImport", "MapSourceError", "import_map", "read_map"]


@dataclass
class MapImport:
    root: Path
    pages: list[ImportedPage]
    files_read: list[str]
    warnings: list[str] = field(default_factory=list)

    def summary(self) -> str:
        sections = sum(len(p.sections) for p in self.pages)
        facts = sum(1 for p in self.pages for s in p.sections for b in s.blocks if b.fact)
        return (
            f"Read {len(self.files_read)} files of {self.root}: {len(self.pages)} pages, {sections} sections, "
            f"{facts} facts; {len(self.warnings)} oddities repaired (warnings above)."
        )

    def write(self, out: Path) -> None:
        """Into a new or empty folder, or over an earlier import (marked), never over someone's
        own pages: a stale page left behind would be indexed with the new ones."""
        if out.exists() and any(out.iterdir()) and not (out / MARKER).exists():
            raise MapSourceError(out, "folder is not empty and was not written by import-map; choose a new folder")
        out.mkdir(parents=True, exist_ok=True)
        for old in out.rglob("*.md"):
            old.unlink()
        for page in self.pages:
            path = out / page.file
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(page.markdown(), encoding="utf-8")
        (out / MARKER).write_text(f"Imported by `lerassist import-map` from {self.root}\n", encoding="utf-8")


def import_map(source: Path, out: Path) -> MapImport:
    result = read_map(source)
    result.write(out)
    return result


def read_map(source: Path) -> MapImport:
    """The whole map read and repaired in memory: a broken file fails here, before any write."""
    reader = SourceReader(source)
    data = {name: reader.data(name) for name in DATA}
    pages = {name: reader.page(name) for name in PAGES}
    actions = action_areas(reader, data["action-items-content.yml"])
    stakeholders = require_list(data["stakeholders-list.yml"], "stakeholders", "_data/stakeholders-list.yml", reader)
    out = [stakeholder_page(reader, entry, n, actions) for n, entry in enumerate(stakeholders, start=1)]
    out.append(glossary_page(reader, data["glossary-list.yml"]))
    out.append(resources_page(reader, data["resources-list.yml"]))
    out.append(lers_explained_page(reader, pages["lers-explained.md"]))
    out.append(technical_guidance_page(reader, pages["technical-guidance.md"]))
    out.append(about_page(reader, pages["about.md"]))
    phases = phases_section(reader, stakeholders)
    out.append(home_page(reader, pages["index.md"], pages["action-areas-intro.html"], phases, actions))
    for name in SUPERSEDED:
        if path := reader.find(name):
            reader.warn(reader.rel(path), "skipped: an older page whose text lers-explained.md also holds")
    return MapImport(source, out, reader.read, reader.warnings)

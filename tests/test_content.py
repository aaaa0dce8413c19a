"""content/ is the whole map, in a shape the pipeline relies on; broken pages are refused."""

import re

import pytest
import yaml

from conftest import CONTENT, SHARED_MAP
from lerassist.content import ContentError, load_pages, load_passages

STAKEHOLDER_SECTIONS = ["Definition", "Examples", "Developing phase", "Issuing phase", "Using phase", "Adopting phase"]


def map_stakeholders():
    data = yaml.safe_load((SHARED_MAP / "_data" / "stakeholders-list.yml").read_text())
    return {s["url"].strip(): s for s in data["stakeholders"]}


def test_every_stakeholder_of_the_map_has_a_complete_page():
    pages = {p.stakeholder: p for p in load_pages(CONTENT) if p.kind == "stakeholder"}
    source = map_stakeholders()
    assert set(pages) == set(source)
    for slug, page in pages.items():
        headings = [s.heading for s in page.sections]
        assert headings[:6] == STAKEHOLDER_SECTIONS, slug
        assert page.title == source[slug]["name"]
        assert page.url == f"https://lermap.t3networkhub.org/stakeholder/{slug}"
        for case in ("Business case", "Social case"):
            assert case in headings, (slug, case)
        assert ("Quote" in headings) == bool(source[slug].get("quote-text")), slug


def test_role_bullets_match_the_map_one_for_one():
    source = map_stakeholders()
    for page in load_pages(CONTENT):
        if page.kind != "stakeholder":
            continue
        for phase in source[page.stakeholder]["sections"]:
            section = next(s for s in page.sections if s.heading == f"{phase['title']} phase")
            bullets = [line for line in section.body.splitlines() if line.startswith("- ")]
            assert len(bullets) == len(phase["bullets"]), (page.stakeholder, phase["title"])


def test_every_glossary_term_has_its_own_section():
    terms = [t["term"].strip() for t in yaml.safe_load((SHARED_MAP / "_data" / "glossary-list.yml").read_text())["terms"]]
    glossary = next(p for p in load_pages(CONTENT) if p.kind == "glossary")
    assert sorted(s.heading for s in glossary.sections) == sorted(terms)


def test_every_resource_title_and_url_is_kept_exactly():
    text = (CONTENT / "resources.md").read_text()
    data = yaml.safe_load((SHARED_MAP / "_data" / "resources-list.yml").read_text())
    for group in data["resources"]:
        for site in group["sites"]:
            title = site["title"].replace("&colon;", ":").replace("&#x3b;", ";").strip()
            assert title in text
            if site.get("url"):
                assert f"<{site['url'].strip()}>" in text


def test_passages_carry_page_section_url_stakeholder_and_phase():
    passages = load_passages(CONTENT)
    adopting = [p for p in passages if p.stakeholder == "employers" and p.phase == "adopting"]
    assert len(adopting) == 1
    p = adopting[0]
    assert (p.title, p.section, p.url) == ("Employers", "Adopting phase", "https://lermap.t3networkhub.org/stakeholder/employers")
    assert len({p.id for p in passages}) == len(passages)
    assert all(len(p.text.split()) <= 260 for p in passages)


@pytest.mark.parametrize(
    "front, problem",
    [
        ("title: X\nkind: guide\n", "front matter has no 'url'"),
        ("title: X\nurl: https://lermap.t3networkhub.org/x\nkind: poster\n", "unknown kind 'poster'"),
        ("title: X\nurl: [unclosed\nkind: guide\n", "front matter is not valid YAML"),
        ("title: X\nurl: https://lermap.t3networkhub.org/x\nkind: stakeholder\n", "needs a 'stakeholder' slug"),
    ],
)
def test_a_broken_page_names_the_file_and_the_problem(content_copy, front, problem):
    broken = content_copy / "broken.md"
    broken.write_text(f"---\n{front}---\n\n## Section\nSome text.\n")
    with pytest.raises(ContentError) as err:
        load_passages(content_copy)
    assert "broken.md" in str(err.value)
    assert problem in str(err.value)
    assert re.search(r"broken\.md:\d+", str(err.value))


def test_text_outside_a_section_is_refused_with_its_line(content_copy):
    (content_copy / "stray.md").write_text("---\ntitle: X\nurl: https://lermap.t3networkhub.org/x\nkind: guide\n---\nstray words\n## S\nbody\n")
    with pytest.raises(ContentError, match=r"stray\.md:6: text before the first '## ' section"):
        load_passages(content_copy)

"""import-map: a checkout of the map's repository becomes content pages in the map's own words,
in the same files, URLs, kinds and headings as content/, with every quirk repaired and reported."""

import re
import shutil
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from conftest import CONTENT, SHARED_MAP, make_settings

from lerassist.answer import Assistant
from lerassist.cli import cli
from lerassist.content import load_pages
from lerassist.evaluate import load_questions, run
from lerassist.importer import MARKER, MapSourceError, import_map
from lerassist.index import LocalStore, build
from lerassist.settings import PROJECT_ROOT

QUIRKS = Path(__file__).parent / "fixtures" / "map-quirks"


def pages_of(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): p.read_text() for p in sorted(folder.rglob("*.md"))}


def clean(text: str) -> str:
    return " ".join(text.replace("&colon;", ":").split())


@pytest.fixture(scope="module")
def imported(tmp_path_factory):
    out = tmp_path_factory.mktemp("imported") / "ler-map"
    return import_map(SHARED_MAP, out), out


@pytest.fixture
def quirks_copy(tmp_path) -> Path:
    source = tmp_path / "source"
    shutil.copytree(QUIRKS / "source", source)
    return source


def test_every_quirk_of_the_fixture_gives_exactly_the_expected_pages_and_warnings(tmp_path):
    result = import_map(QUIRKS / "source", tmp_path / "out")
    assert pages_of(tmp_path / "out") == pages_of(QUIRKS / "expected")
    assert result.warnings == (QUIRKS / "warnings.txt").read_text().splitlines()


def test_the_imported_fixture_is_valid_content(tmp_path):
    import_map(QUIRKS / "source", tmp_path / "out")
    pages = {p.path.name: p for p in load_pages(tmp_path / "out")}
    gathering = next(s for s in pages["tide-keepers.md"].sections if s.heading == "Action area: Gathering Data on Impact")
    assert [line for line in gathering.body.splitlines() if line.startswith("- ")] == [
        "- Count the visitors who come back with a stamped record and share the tally each season"
    ]


def test_pages_at_the_top_level_are_read_like_pages_under_pages(quirks_copy, tmp_path):
    for page in list((quirks_copy / "pages").iterdir()):
        page.rename(quirks_copy / page.name)
    (quirks_copy / "pages").rmdir()
    result = import_map(quirks_copy, tmp_path / "out")
    assert pages_of(tmp_path / "out") == pages_of(QUIRKS / "expected")
    assert "index.md: invisible characters removed: 2" in result.warnings


@pytest.mark.parametrize(
    "broken, message",
    [
        ("_data/glossary-list.yml", r"_data/glossary-list\.yml: missing"),
        ("pages/about.md", r"pages/about\.md: missing: expected pages/about\.md or about\.md at the top level"),
    ],
)
def test_a_missing_file_is_an_error_naming_it_and_nothing_is_written(quirks_copy, tmp_path, broken, message):
    (quirks_copy / broken).unlink()
    with pytest.raises(MapSourceError, match=message):
        import_map(quirks_copy, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_a_malformed_yaml_file_is_an_error_naming_the_file_and_line(quirks_copy, tmp_path):
    (quirks_copy / "_data" / "resources-list.yml").write_text("resources:\n  - name: Shelf\n    sites: [unclosed\n")
    with pytest.raises(MapSourceError, match=r"resources-list\.yml:\d+: not valid YAML"):
        import_map(quirks_copy, tmp_path / "out")


def test_a_stakeholder_without_a_definition_is_refused(quirks_copy, tmp_path):
    data = quirks_copy / "_data" / "stakeholders-list.yml"
    data.write_text(data.read_text().replace("    definition: Craft circles", "    retired: Craft circles"))
    with pytest.raises(MapSourceError, match=r"stakeholders-list\.yml: Lantern Guilds: has no 'definition'"):
        import_map(quirks_copy, tmp_path / "out")


def test_it_writes_over_an_earlier_import_but_not_over_other_folders(tmp_path):
    own = tmp_path / "mine"
    own.mkdir()
    (own / "notes.md").write_text("my notes")
    with pytest.raises(MapSourceError, match="not written by import-map"):
        import_map(QUIRKS / "source", own)
    assert (own / "notes.md").read_text() == "my notes"

    out = tmp_path / "out"
    import_map(QUIRKS / "source", out)
    (out / "stale.md").write_text("---\ntitle: Old\n---\n")
    import_map(QUIRKS / "source", out)
    assert (out / MARKER).exists() and not (out / "stale.md").exists()
    assert pages_of(out) == pages_of(QUIRKS / "expected")


def test_the_real_map_gives_the_same_files_urls_kinds_and_headings_as_content(imported):
    _, out = imported
    ours = {p.path.relative_to(CONTENT).as_posix(): p for p in load_pages(CONTENT)}
    theirs = {p.path.relative_to(out).as_posix(): p for p in load_pages(out)}
    assert set(theirs) == set(ours)
    for name, page in theirs.items():
        assert (page.url, page.kind, page.title, page.stakeholder) == (ours[name].url, ours[name].kind, ours[name].title, ours[name].stakeholder)
        if page.kind in ("stakeholder", "glossary"):
            assert [s.heading for s in page.sections] == [s.heading for s in ours[name].sections], name


def test_long_guide_pages_become_one_section_per_topic_named_by_its_opening_words(imported):
    """The map's About and guide pages run many topics under one heading; a passage per topic
    is what a question about one of them finds, and its citation says which it is."""
    _, out = imported
    pages = {p.path.name: p for p in load_pages(out)}
    headings = [s.heading for name in ("about.md", "lers-explained.md", "technical-guidance.md", "home.md") for s in pages[name].sections]
    assert not [h for h in headings if "(part" in h]
    assert [h for h in headings if h.startswith("What are LERs?")] == [
        "What are LERs?",
        "What are LERs?: They are verifiable, digitally signed by the individual…",
        "What are LERs?: They are developed in accordance with open standards",
        "What are LERs?: LERs are learner controlled",
        "What are LERs?: They can be issued for large scale achievements…",
    ]
    assert "Imagine A World Where...: Compared to traditional resumes, LERs are data-rich" in headings
    assert "About the LER Ecosystem Map: Thank you to We Are Open for their…" in headings
    assert "Why Do They Matter?" in headings  # short enough to stay whole


def test_the_real_maps_quirks_are_reported(imported):
    result, _ = imported
    expected = [
        "Governance › gathering › bullets: a string where a list is expected; read as one item",
        "Employers › Issuing: no 'subheader'; used its 'description' instead",
        "Data Standards Organizations: empty 'action-areas'; no action-area sections",
        "HR Systems: no quote; section left out",
        "Micro-credential: removed HTML markup </p> <p>",
        "resource 4 title: decoded HTML entities &#x3b;",
        "pages/index.md: invisible characters removed: 4",
    ]
    for fragment in expected:
        assert any(fragment in w for w in result.warnings), fragment
    assert any(w.startswith("_data/stakeholders-list.yml: trailing whitespace ignored") for w in result.warnings)


def test_the_governance_gathering_string_is_one_bullet_in_the_maps_words(imported):
    _, out = imported
    source = yaml.safe_load((SHARED_MAP / "_data" / "stakeholders-list.yml").read_text())
    governance = next(s for s in source["stakeholders"] if s["name"] == "Governance")
    text = next(a["bullets"] for a in governance["action-areas"] if a["title"] == "gathering")
    assert isinstance(text, str)
    page = next(p for p in load_pages(out) if p.stakeholder == "governance")
    section = next(s for s in page.sections if s.heading == "Action area: Gathering Data on Impact")
    assert [line for line in section.body.splitlines() if line.startswith("- ")] == [f"- {clean(text)}"]


def test_every_role_and_action_of_the_map_is_imported_verbatim(imported):
    _, out = imported
    pages = {p.stakeholder: p for p in load_pages(out) if p.kind == "stakeholder"}
    for entry in yaml.safe_load((SHARED_MAP / "_data" / "stakeholders-list.yml").read_text())["stakeholders"]:
        page = pages[entry["url"].strip()]
        for phase in entry["sections"]:
            body = next(s.body for s in page.sections if s.heading == f"{phase['title'].strip()} phase")
            for bullet in phase["bullets"]:
                assert f"- {clean(bullet)}" in body.splitlines()


@pytest.fixture(scope="module")
def imported_index(imported, settings, assistant, embedder):
    """The import built into its own index beside the default one (which `assistant` opened)."""
    _, out = imported
    default = LocalStore(settings).read_manifest()
    other = make_settings(settings.index_dir.parent, content_dir=out)
    build(other, embedder)
    return other, default


def test_an_index_built_from_the_import_answers_in_the_maps_words_and_leaves_the_default_index_alone(imported_index, settings, embedder):
    other, default = imported_index
    assert other.store_dir != settings.store_dir and other.store_dir.parent == settings.store_dir.parent
    assert LocalStore(settings).read_manifest().build_id == default.build_id

    answer = Assistant(other, embedder).ask("What should employers do in the Adopting phase?")
    top = answer.citations[0]
    assert (top.url, top.section) == ("https://lermap.t3networkhub.org/stakeholder/employers", "Adopting phase")
    employers = next(s for s in yaml.safe_load((SHARED_MAP / "_data" / "stakeholders-list.yml").read_text())["stakeholders"] if s["name"] == "Employers")
    adopting = next(p for p in employers["sections"] if p["title"] == "Adopting")
    assert clean(adopting["bullets"][0]) in answer.text
    definition = Assistant(other, embedder).ask("What is an issuer?")
    assert definition.citations[0].url.endswith("/glossary") and "digitally signs" in definition.text


def test_the_question_set_meets_the_same_targets_on_the_imported_map(imported_index, embedder):
    """The eval questions were written against content/; the map's own wording and layout must
    answer them as well (the targets of the issue: hit@1 0.90, hit@5 0.98, fact recall 0.90)."""
    other, _ = imported_index
    metrics = run(Assistant(other, embedder), load_questions(PROJECT_ROOT / "eval" / "questions.yaml")).metrics
    assert metrics["hit@1"] >= 0.90 and metrics["hit@5"] >= 0.98 and metrics["fact_recall"] >= 0.90, metrics
    assert metrics["abstention_accuracy"] == 1.0 and metrics["false_abstentions"] == 0, metrics


def test_the_import_map_command_prints_what_it_read_and_every_repair(tmp_path):
    result = CliRunner().invoke(cli, ["import-map", str(QUIRKS / "source"), "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert re.search(r"Read 9 files of .*: 8 pages, \d+ sections, \d+ facts; 24 oddities repaired", result.stdout)
    assert "Warning: _data/stakeholders-list.yml: Tide Keepers › gathering › bullets: a string where a list is expected" in result.stderr


def test_the_import_map_command_names_a_missing_file(quirks_copy, tmp_path):
    (quirks_copy / "_data" / "stakeholders-list.yml").unlink()
    result = CliRunner().invoke(cli, ["import-map", str(quirks_copy), "--out", str(tmp_path / "out")])
    assert result.exit_code == 1
    assert "stakeholders-list.yml: missing" in result.output

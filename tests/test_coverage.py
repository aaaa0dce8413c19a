"""coverage: content/ states every fact of the map's source and nothing else, and the check
catches a fact taken out and a fact made up."""

import statistics

import pytest
from click.testing import CliRunner
from conftest import CONTENT, SHARED_MAP

from lerassist.cli import cli
from lerassist.coverage import COVERED, INVENTED, MISSING, check
from lerassist.importer import import_map

INVENTED_LINE = "- Pay each new hire a bonus in gold coins for every LER they bring to the interview."


@pytest.fixture(scope="module")
def report(embedder):
    return check(CONTENT, SHARED_MAP, embedder)


@pytest.fixture(scope="module")
def broken(embedder, tmp_path_factory):
    """content/ with one role taken out, one glossary term taken out, and one role made up."""
    import shutil

    content = tmp_path_factory.mktemp("broken") / "content"
    shutil.copytree(CONTENT, content)
    funders = content / "stakeholders" / "funders.md"
    lines = funders.read_text().splitlines()
    funders.write_text("\n".join(line for line in lines if "capacity building" not in line) + "\n")
    glossary = content / "glossary.md"
    text = glossary.read_text()
    start = text.index("## Verifier\n")
    glossary.write_text(text[:start] + text[text.index("## ", start + 3) :])
    employers = content / "stakeholders" / "employers.md"
    text = employers.read_text()
    marker = "## Action area: Promoting Adoption"
    employers.write_text(text.replace(marker, INVENTED_LINE + "\n\n" + marker))
    return content, check(content, SHARED_MAP, embedder)


def test_content_covers_every_fact_of_the_map_and_invents_nothing(report):
    summary = report.summary
    assert summary["units"] > 400 and summary["content_sentences"] > 500
    assert (summary["missing"], summary["weak"], summary["invented"]) == (0, 0, 0)
    assert summary["covered"] == summary["units"] and report.passed


def test_a_removed_role_and_a_removed_glossary_term_are_missing(broken):
    _, broken = broken
    missing = [f for f in broken.units if f.status == "missing"]
    assert sorted(f.label for f in missing) == ["Funders › Developing phase › role", "Glossary › Verifier › glossary sense"]
    role = next(f for f in missing if f.label.startswith("Funders"))
    assert "capacity building" in role.text and role.score < MISSING
    assert not broken.passed


def test_a_made_up_role_is_reported_invented_and_nothing_else_is(broken):
    _, broken = broken
    invented = [f for f in broken.lines if f.status == "invented"]
    assert [f.text for f in invented] == [INVENTED_LINE[2:]]
    assert invented[0].label.startswith("stakeholders/employers.md:") and invented[0].score < INVENTED


def test_calibration_copies_score_highest_paraphrases_lower_and_removed_facts_lowest(report, broken, embedder, tmp_path):
    """The thresholds sit between the weakest true paraphrase in content/ and what a removed fact
    scores; a verbatim copy (the imported map) scores about 1."""
    import_map(SHARED_MAP, tmp_path / "copy")
    copy = check(tmp_path / "copy", SHARED_MAP, embedder)
    paraphrases = [f.score for f in report.units]
    assert copy.passed and min(f.score for f in copy.units) > 0.95
    assert COVERED <= min(paraphrases) < statistics.median(paraphrases) < 0.95
    removed = next(f.score for f in broken[1].units if "capacity building" in f.text)
    assert removed < MISSING < COVERED <= min(paraphrases)


def test_the_coverage_command_exits_zero_on_content_and_one_when_a_fact_is_missing(report, broken):
    ok = CliRunner().invoke(cli, ["coverage", "--against", str(SHARED_MAP), "--content", str(CONTENT)])
    assert ok.exit_code == 0, ok.output
    assert "missing 0" in ok.output and "invented 0" in ok.output
    failed = CliRunner().invoke(cli, ["coverage", "--against", str(SHARED_MAP), "--content", str(broken[0])])
    assert failed.exit_code == 1
    assert "Missing (no faithful counterpart in content/): 2" in failed.output
    assert "Invented (no fact of the source backs it): 1" in failed.output
    assert "capacity building" in failed.output

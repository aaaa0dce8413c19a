"""The `lerassist` command end to end, and the README documenting every command."""

import json
import os
import re
import subprocess
import sys

import pytest
from click.testing import CliRunner

from lerassist.cli import cli
from lerassist.settings import PROJECT_ROOT


@pytest.fixture
def env(settings, embedder, assistant):
    """The CLI reads LERASSIST_* like a user's shell would; point it at the session's index."""
    return {"LERASSIST_INDEX_DIR": str(settings.index_dir), "LERASSIST_FEEDBACK_PATH": str(settings.feedback_path)}


def test_ask_prints_an_answer_with_numbered_sources_in_a_real_process(env):
    result = subprocess.run(
        [sys.executable, "-m", "lerassist.cli", "ask", "What is a verifiable credential?"],
        capture_output=True, text=True, env={**os.environ, **env}, timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert "W3C" in result.stdout and "[1]" in result.stdout
    assert re.search(r"^\[1\] Glossary › Verifiable Credential — https://lermap\.t3networkhub\.org/glossary$", result.stdout, re.M)


def test_ask_json_prints_the_answer_object(env):
    result = CliRunner().invoke(cli, ["ask", "What do funders do in the Issuing phase?", "--json"], env=env)
    assert result.exit_code == 0, result.output
    answer = json.loads(result.output)
    assert set(answer) >= {"text", "citations", "abstained"}
    assert answer["citations"][0]["url"].endswith("/stakeholder/funders")
    assert {"url", "title", "section", "text", "score"} <= set(answer["citations"][0])


def test_ask_with_stakeholder_filter(env):
    result = CliRunner().invoke(cli, ["ask", "What is their business case?", "--stakeholder", "hr-systems", "--json"], env=env)
    assert json.loads(result.output)["citations"][0]["section"] == "Business case"


def test_empty_question_exits_non_zero_with_a_message(env):
    result = CliRunner().invoke(cli, ["ask", "  "], env=env)
    assert result.exit_code == 1
    assert "Please type a question" in result.output


def test_eval_json_reports_every_metric(env, tmp_path):
    questions = tmp_path / "q.yaml"
    questions.write_text(
        "- id: g-issuer\n  question: What is an issuer?\n  expected_sources: [glossary]\n  must_include: [[sign, signs]]\n"
        "- id: oos\n  question: What is the capital of France?\n  expected_sources: []\n  must_include: []\n  answerable: false\n"
    )
    result = CliRunner().invoke(cli, ["eval", str(questions), "--json"], env=env)
    assert result.exit_code == 0, result.output
    metrics = json.loads(result.output)
    assert set(metrics) == {
        "questions", "answerable", "hit@1", "hit@5", "mrr", "fact_recall", "abstention_accuracy",
        "false_abstentions", "answer_words_median", "latency_ms_p50", "latency_ms_p95",
    }
    assert metrics["hit@1"] == 1.0 and metrics["abstention_accuracy"] == 1.0 and metrics["fact_recall"] == 1.0


def test_eval_refuses_a_malformed_question_file(env, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("- id: x\n  expected_sources: [glossary]\n")
    result = CliRunner().invoke(cli, ["eval", str(bad)], env=env)
    assert result.exit_code == 1
    assert "'question' must be non-empty text" in result.output


def test_build_names_the_broken_file(env, content_copy):
    (content_copy / "glossary.md").write_text("---\ntitle: Glossary\nurl: https://lermap.t3networkhub.org/glossary\n---\n## X\ny\n")
    result = CliRunner().invoke(cli, ["build", "--content", str(content_copy)], env=env)
    assert result.exit_code == 1
    assert "glossary.md:2: front matter has no 'kind'" in result.output


def test_readme_documents_every_command():
    readme = (PROJECT_ROOT / "README.md").read_text()
    for name in cli.commands:
        assert f"lerassist {name}" in readme, name

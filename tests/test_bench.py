"""The benchmark end to end on a small copy of the map, and its process measurements.

The full run takes minutes; this keeps the command, the scoring of peers and the report working
on five questions; the cold-start process is skipped there and its measurement is checked on a
tiny process instead.
"""

import re
import shutil
import sys

import pytest
from click.testing import CliRunner

from lerassist.bench import LERASSIST, Costs, Measured, main, measure_process, targets
from lerassist.peers import BM25Peer, DensePeer, LlamaIndexPeer
from lerassist.settings import PROJECT_ROOT

QUESTIONS = """
- id: issuer
  question: What is an issuer?
  expected_sources: [glossary]
  must_include: [[sign, signs, signed], [credential]]
- id: employers-adopting
  question: What should employers do in the Adopting phase?
  expected_sources: [stakeholder/employers]
  must_include: [[HR]]
- id: employers-business
  question: What is the business case for employers?
  expected_sources: [stakeholder/employers]
- id: oos-france
  question: What is the capital of France?
  answerable: false
- id: oos-code
  question: Write a Python function that reverses a string
  answerable: false
- id: cut-by-limit
  question: Who won the 2018 World Cup?
  answerable: false
"""
SYSTEMS = [LERASSIST, BM25Peer.name, DensePeer.name, LlamaIndexPeer.name]


@pytest.fixture
def small_content(tmp_path):
    """Three pages of the map: enough for every system to find (or miss) its source, small
    enough that indexing it and the peers takes seconds."""
    content = tmp_path / "content"
    (content / "stakeholders").mkdir(parents=True)
    for page in ("glossary.md", "home.md", "stakeholders/employers.md"):
        shutil.copy(PROJECT_ROOT / "content" / page, content / page)
    return content


def row(markdown: str, system: str) -> dict[str, str]:
    lines = markdown.splitlines()
    header = [c.strip() for c in next(l for l in lines if l.startswith("| system |")).strip("|").split("|")]
    cells = [c.strip() for c in next(l for l in lines if l.startswith(f"| {system} |")).strip("|").split("|")]
    return dict(zip(header, cells))


def test_bench_compares_every_system_on_the_same_questions_and_writes_its_report(tmp_path, small_content):
    questions = tmp_path / "questions.yaml"
    questions.write_text(QUESTIONS)
    out = tmp_path / "out"
    args = [str(questions), "--content", str(small_content), "--limit", "5", "--out", str(out), "--skip-cold-start"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output

    text = (out / "results.md").read_text()
    assert result.output.strip() == text.strip()
    assert "5 questions" in text and "(3 answerable)" in text
    ours = row(text, LERASSIST)
    assert ours["abstention acc."] == "1" and ours["false abst."] == "0"
    assert ours["hit@1"] == "1"
    for peer in SYSTEMS[1:]:
        assert row(text, peer)["abstention acc."] == "0", peer
    assert float(row(text, "query embedding alone (floor)")["p50 ms"]) > 0
    assert "flatters their fact recall" in text
    assert re.search(r"^- [✓✗] index build <= 30 s: \d+\.\d s$", text, re.M)
    assert text.count("not measured (--skip-cold-start)") == 2  # cold start and peak RSS
    assert (out / "results.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_measure_process_reads_the_first_line_time_and_the_peak_rss_of_that_process():
    code = "import time; block = b'x' * (300 * 2**20); print('ready', flush=True); time.sleep(0.5)"
    measured = measure_process([sys.executable, "-c", code])
    assert measured.output == "ready\n"
    assert measured.peak_rss_bytes >= 300 * 2**20
    assert measured.first_line_s + 0.4 < measured.total_s
    assert 0 < measured.cpu_s < measured.total_s  # sleeping is not CPU time


def test_measure_process_refuses_a_failed_process_with_its_error():
    with pytest.raises(RuntimeError, match="boom"):
        measure_process([sys.executable, "-c", "import sys; sys.exit('boom')"])


def test_cost_targets_are_met_up_to_their_limits_and_missed_past_them():
    scores = {name: {"hit@1": 0.5, "mrr": 0.5, "fact_recall": 0.5} for name in SYSTEMS}
    scores[LERASSIST] = {"hit@1": 0.9, "mrr": 0.9, "fact_recall": 0.4}
    within = Costs(10.0, 29.5, 29.0, Measured(19.5, 20.5, 19.0, 1.4 * 2**30, ""))
    past = Costs(10.0, 30.5, 29.0, Measured(20.5, 21.0, 19.0, 1.6 * 2**30, ""))
    met = {t.label: t.met for t in targets(scores, 1.9, within)}
    assert met == {
        "ahead of every peer on hit@1": True, "ahead of every peer on MRR": True,
        "ahead of every peer on fact recall": False, "warm latency / floor <= 2.0": True,
        "index build <= 30 s": True, "cold start to first answer <= 20 s": True, "peak RSS <= 1536 MiB": True,
    }
    assert [t.met for t in targets(scores, 2.1, past)][3:] == [False, False, False, False]

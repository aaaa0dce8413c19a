"""`python -m lerassist.bench`: lerassist against the baselines a team would otherwise pick (BM25,
dense retrieval, llama-index defaults), on the same machine, questions and content, plus what
lerassist costs to build, start and hold in memory.

Quality is scored by evaluate's own functions, so a peer's hit@1 means exactly what lerassist's
does. Latencies are taken question by question in turn across every system, because other work
on a shared CPU comes and goes: interleaving puts each system under the same load, and the
ratio of two systems measured this way holds even when the absolute times are noisy.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import click

from .evaluate import Question, Result, facts_met, load_questions, metrics, percentile, source_rank
from .settings import PROJECT_ROOT, Settings

LERASSIST = "lerassist"
FLOOR = "query embedding alone (floor)"
MAX_RATIO = 2.0
MAX_BUILD_S = 30.0
MAX_COLD_START_S = 20.0
MAX_RSS_BYTES = int(1.5 * 2**30)
PROCESS_TIMEOUT_S = 300
MIB = 2**20
COLUMNS = (
    ("hit@1", "hit@1"), ("hit@5", "hit@5"), ("MRR", "mrr"), ("fact recall", "fact_recall"),
    ("abstention acc.", "abstention_accuracy"), ("false abst.", "false_abstentions"),
    ("median words", "answer_words_median"), ("p50 ms", "latency_ms_p50"), ("p95 ms", "latency_ms_p95"),
)
QUALITY = (("hit@1", "hit@1"), ("MRR", "mrr"), ("fact recall", "fact_recall"))


@dataclass(frozen=True)
class Measured:
    """One fresh process: when its first line of output came, when it ended, its peak RSS."""

    first_line_s: float
    total_s: float
    peak_rss_bytes: int
    output: str


@dataclass(frozen=True)
class Costs:
    build: Measured
    cold_start: Measured


@dataclass(frozen=True)
class Target:
    label: str
    met: bool | None  # None: not measured in this run
    detail: str


def measure_process(cmd: list[str], env: dict | None = None, timeout: float = PROCESS_TIMEOUT_S) -> Measured:
    """Times from just before the process is started, so interpreter start-up and imports
    count; the peak RSS comes from wait4, the kernel's figure for this one process, which
    sampling could miss."""
    with tempfile.TemporaryFile("w+") as errors:
        started = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=errors, text=True, env=env)
        timer = threading.Timer(timeout, proc.kill)
        timer.start()
        try:
            first = proc.stdout.readline()
            first_line_s = time.perf_counter() - started
            output = first + proc.stdout.read()
            _, status, usage = os.wait4(proc.pid, 0)
            total_s = time.perf_counter() - started
        finally:
            timer.cancel()
        proc.returncode = os.waitstatus_to_exitcode(status)
        proc.stdout.close()
        if proc.returncode != 0:
            errors.seek(0)
            raise RuntimeError(f"{' '.join(cmd)} exited {proc.returncode}: {errors.read()[-2000:]}")
    return Measured(first_line_s, total_s, usage.ru_maxrss * 1024, output)


def measure_costs(settings: Settings, question: str) -> Costs:
    """A fresh `lerassist build` into a temp dir (a new process, so nothing is embedded yet),
    then a fresh `lerassist ask` against that index with auto-build off, so it cannot hide a
    rebuild inside the cold start."""
    with tempfile.TemporaryDirectory(prefix="lerassist-bench-") as tmp:
        env = {
            **os.environ,
            "LERASSIST_INDEX_DIR": tmp,
            "LERASSIST_FEEDBACK_PATH": str(Path(tmp) / "feedback.jsonl"),
            "LERASSIST_AUTO_BUILD": "false",
        }
        cli = [sys.executable, "-m", "lerassist.cli"]
        content = ["--content", str(settings.content_dir)]
        build = measure_process(cli + ["build"] + content, env)
        cold = measure_process(cli + ["ask", question] + content, env)
    return Costs(build, cold)


def compare(systems: dict, embedder, questions: list[Question]) -> tuple[dict[str, list[Result]], list[float]]:
    """Every system answers each question in turn (after one warm-up each); alongside, one bare
    query embedding per question gives the floor under any answer that embeds the question."""
    for system in systems.values():
        system.ask(questions[0].question)
    embedder.embed_query(questions[0].question)
    results: dict[str, list[Result]] = {name: [] for name in systems}
    floor_ms = []
    for q in questions:
        started = time.perf_counter()
        embedder.embed_query(q.question)
        floor_ms.append((time.perf_counter() - started) * 1000)
        for name, system in systems.items():
            started = time.perf_counter()
            answer = system.ask(q.question)
            elapsed = (time.perf_counter() - started) * 1000
            results[name].append(Result(q, answer, elapsed, source_rank(q, answer), facts_met(q, answer)))
    return results, floor_ms


def targets(scores: dict[str, dict], ratio: float, costs: Costs | None) -> list[Target]:
    ours = scores[LERASSIST]
    peers = {name: m for name, m in scores.items() if name != LERASSIST}
    out = []
    for label, key in QUALITY:
        best = max(peers, key=lambda name: peers[name][key] or 0)
        met = all((ours[key] or 0) > (m[key] or 0) for m in peers.values())
        out.append(Target(f"ahead of every peer on {label}", met, f"{_cell(ours[key])} vs best peer {_cell(peers[best][key])} ({best})"))
    out.append(Target(f"warm latency / floor <= {MAX_RATIO}", ratio <= MAX_RATIO, f"{ratio:.2f}"))
    limits = (
        (f"index build <= {MAX_BUILD_S:.0f} s", lambda c: c.build.total_s, MAX_BUILD_S, "{:.1f} s"),
        (f"cold start to first answer <= {MAX_COLD_START_S:.0f} s", lambda c: c.cold_start.first_line_s, MAX_COLD_START_S, "{:.1f} s"),
        (f"peak RSS <= {MAX_RSS_BYTES // MIB} MiB", lambda c: c.cold_start.peak_rss_bytes, MAX_RSS_BYTES, None),
    )
    for label, value, limit, fmt in limits:
        if costs is None:
            out.append(Target(label, None, "not measured (--skip-costs)"))
            continue
        got = value(costs)
        out.append(Target(label, got <= limit, fmt.format(got) if fmt else f"{got / MIB:.0f} MiB"))
    return out


def report(scores: dict[str, dict], floor_ms: list[float], costs: Costs | None, run: dict) -> str:
    """The Markdown written to results.md and printed: the table, the caveats that make it
    fair to read, lerassist's costs, then every target with ✓/✗ and the missed ones named."""
    ours, floor_p50 = scores[LERASSIST]["latency_ms_p50"], percentile(floor_ms, 50)
    ratio = ours / floor_p50
    head = "| system | " + " | ".join(label for label, _ in COLUMNS) + " |"
    lines = [
        "# lerassist against the usual alternatives",
        "",
        f"Run {run['when']} on {run['cpus']} CPUs: {run['questions']} questions from `{run['questions_file']}` "
        f"({run['answerable']} answerable), content `{run['content']}` ({run['passages']} passages).",
        "",
        head,
        "|" + " --- |" * (len(COLUMNS) + 1),
    ]
    for name, m in scores.items():
        lines.append(f"| {name} | " + " | ".join(_cell(m[key]) for _, key in COLUMNS) + " |")
    lines.append(f"| {FLOOR} |" + " – |" * (len(COLUMNS) - 2) + f" {floor_p50:.2f} | {percentile(floor_ms, 95):.2f} |")
    lines += [
        "",
        "Peers answer with their top 3 results joined: that text holds every fact in those results, "
        "which flatters their fact recall (their median words show the price). Peers never abstain, "
        "so their abstention accuracy is 0. llama-index's default retriever returns 2 results, so "
        "its hit@5 looks at 2. Latencies are warm (model loaded, one warm-up question), taken "
        "question by question across all systems in turn.",
        "",
        "## What lerassist costs",
        "",
    ]
    if costs is None:
        lines.append("- build time, cold start and peak RSS: not measured in this run (`--skip-costs`)")
    else:
        lines += [
            f"- index build (a fresh `lerassist build` process into a temp dir, cold embedding cache, "
            f"start-up and model load included): {costs.build.total_s:.1f} s, peak RSS {costs.build.peak_rss_bytes / MIB:.0f} MiB",
            f"- cold start to first answer (a fresh `lerassist ask` process, index already built): {costs.cold_start.first_line_s:.1f} s",
            f"- peak RSS of that process: {costs.cold_start.peak_rss_bytes / MIB:.0f} MiB",
        ]
    lines.append(
        f"- warm answer p50 / bare query embedding p50: {ours:.2f} / {floor_p50:.2f} ms = {ratio:.2f} "
        f"(embedding the question is {floor_p50 / ours:.0%} of a warm answer)"
    )
    checks = targets(scores, ratio, costs)
    lines += ["", "## Targets", ""]
    lines += [f"- {_mark(t.met)} {t.label}: {t.detail}" for t in checks]
    missed = [t for t in checks if t.met is False]
    lines += ["", "Missed: " + "; ".join(f"{t.label} ({t.detail})" for t in missed) + "." if missed else "All measured targets met."]
    busy = max(run["load"]) / run["cpus"]
    if busy > 0.5:
        lines += [
            "",
            f"Other processes were using the CPU during this run (load average {max(run['load']):.1f} on "
            f"{run['cpus']} CPUs): absolute times are noisy and inflated; the latency ratios compare "
            "systems measured under the same load.",
        ]
    return "\n".join(lines) + "\n"


def _cell(value) -> str:
    return "–" if value is None else f"{value:g}"


def _mark(met: bool | None) -> str:
    return {True: "✓", False: "✗", None: "–"}[met]


def chart(scores: dict[str, dict], floor_ms: list[float], path: Path) -> None:
    """Quality against warm latency: up and to the left is better; the dashed line is the floor
    no answer that embeds the question can beat."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(9, 4.8))
    for (name, m), color in zip(scores.items(), plt.get_cmap("tab10").colors):
        x, hit, facts = m["latency_ms_p50"], m["hit@1"] or 0, m["fact_recall"] or 0
        ax.plot([x, x], [hit, facts], color=color, alpha=0.4)
        ax.scatter([x], [hit], color=color, marker="o", s=60, label=f"{name}: hit@1")
        ax.scatter([x], [facts], color=color, marker="^", s=60, label=f"{name}: fact recall")
    ax.axvline(percentile(floor_ms, 50), color="gray", linestyle="--", label="one query embedding (p50)")
    ax.set_xscale("log")
    ax.set_ylim(0, 1.05)
    ax.set_xlabel("warm latency p50, ms (log scale)")
    ax.set_ylabel("score")
    ax.set_title("Answer quality vs warm latency (up and left is better)")
    ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1), fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


@click.command()
@click.argument(
    "questions_file", required=False, default=PROJECT_ROOT / "eval" / "questions.yaml",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
)
@click.option("--content", type=click.Path(file_okay=False, path_type=Path), help="Content folder (default: the project's content/).")
@click.option("--limit", type=click.IntRange(min=1), help="Only the first N questions.")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=PROJECT_ROOT / "bench", show_default=True,
              help="Where results.md and results.png are written.")
@click.option("--skip-costs", is_flag=True, help="Skip the build and cold-start processes (minutes on a slow CPU).")
def main(questions_file: Path, content: Path | None, limit: int | None, out: Path, skip_costs: bool):
    """Compare lerassist with BM25, dense retrieval and llama-index defaults on QUESTIONS_FILE
    (default: eval/questions.yaml)."""
    from .answer import Assistant
    from .content import ContentError, load_passages
    from .embedding import Embedder
    from .index import IndexUnavailable
    from .peers import BM25Peer, DensePeer, LlamaIndexPeer

    try:
        questions = load_questions(questions_file)[:limit]
        settings = Settings.from_env(content_dir=content)
        load = [os.getloadavg()[0]]
        first = next((q.question for q in questions if q.answerable), questions[0].question)
        costs = None if skip_costs else measure_costs(settings, first)
        embedder = Embedder.shared(settings.model_path)
        systems = {
            LERASSIST: Assistant(settings, embedder),
            BM25Peer.name: BM25Peer(settings.content_dir, settings.top_k),
            DensePeer.name: DensePeer(settings.content_dir, settings.top_k, embedder),
            LlamaIndexPeer.name: LlamaIndexPeer(settings.content_dir, embedder),
        }
    except (ValueError, ContentError, IndexUnavailable, RuntimeError) as err:
        raise click.ClickException(str(err)) from err
    results, floor_ms = compare(systems, embedder, questions)
    load.append(os.getloadavg()[0])
    run = {
        "when": time.strftime("%Y-%m-%d %H:%M"),
        "cpus": os.cpu_count(),
        "load": load,
        "questions": len(questions),
        "answerable": sum(q.answerable for q in questions),
        "questions_file": _shown(questions_file),
        "content": _shown(settings.content_dir),
        "passages": len(load_passages(settings.content_dir)),
    }
    scores = {name: metrics(rs) for name, rs in results.items()}
    text = report(scores, floor_ms, costs, run)
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.md").write_text(text, encoding="utf-8")
    chart(scores, floor_ms, out / "results.png")
    click.echo(text)


def _shown(path: Path) -> str:
    """Project paths relative, so a committed results.md does not name one machine's checkout."""
    path = path.resolve()
    return str(path.relative_to(PROJECT_ROOT)) if path.is_relative_to(PROJECT_ROOT) else str(path)


if __name__ == "__main__":
    main()

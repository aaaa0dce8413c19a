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
import psutil

from .content import ContentError, load_passages
from .embedding import Embedder
from .evaluate import Question, Result, facts_met, load_questions, metrics, percentile, source_rank
from .index import IndexUnavailable, build
from .settings import PROJECT_ROOT, Settings

LERASSIST = "lerassist"
FLOOR = "query embedding alone (floor)"
MAX_RATIO = 2.0
MAX_BUILD_S = 30.0
MAX_COLD_START_S = 20.0
MAX_RSS_BYTES = int(1.5 * 2**30)
PROCESS_TIMEOUT_S = 300
MIB = 2**20
NOISY_SHARE = 0.1
COLUMNS = (
    ("hit@1", "hit@1"), ("hit@5", "hit@5"), ("MRR", "mrr"), ("fact recall", "fact_recall"),
    ("abstention acc.", "abstention_accuracy"), ("false abst.", "false_abstentions"),
    ("median words", "answer_words_median"), ("p50 ms", "latency_ms_p50"), ("p95 ms", "latency_ms_p95"),
)
QUALITY = (("hit@1", "hit@1"), ("MRR", "mrr"), ("fact recall", "fact_recall"))


@dataclass(frozen=True)
class Measured:
    """One fresh process: when its first line of output came, when it ended, the CPU time it
    used, its peak RSS and what it printed."""

    first_line_s: float
    total_s: float
    cpu_s: float
    peak_rss_bytes: int
    output: str


@dataclass(frozen=True)
class Costs:
    model_load_s: float
    build_s: float
    build_cpu_s: float  # all threads; a second figure that other processes' load inflates less
    cold_start: Measured | None  # None: skipped (--skip-cold-start)


class OthersCpu:
    """The share of the machine's CPU that other processes took while the benchmark ran (the
    system's busy time less this process's and its children's), so results.md can say when
    the absolute times were measured on a busy machine."""

    def __init__(self):
        self.start = self._read()

    @staticmethod
    def _read() -> tuple[float, float, float]:
        system, own = psutil.cpu_times(), os.times()
        busy = system.user + system.nice + system.system + system.irq + system.softirq
        return time.perf_counter(), busy, own.user + own.system + own.children_user + own.children_system

    def share(self) -> float:
        wall, busy, own = (end - start for start, end in zip(self.start, self._read()))
        return max(0.0, (busy - own) / (wall * psutil.cpu_count()))


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
    return Measured(first_line_s, total_s, usage.ru_utime + usage.ru_stime, usage.ru_maxrss * 1024, output)


def measure_costs(settings: Settings, question: str, cold_start: bool) -> tuple[Embedder, Costs]:
    """Loads a fresh Embedder (its document cache is empty, so the build embeds every passage)
    and builds `settings.index_dir` with it; then, unless skipped, times a fresh `lerassist ask`
    process on that index with auto-build off, so no rebuild can hide inside the cold start.
    The embedder is returned warm: the dense peer reuses the vectors the build made."""
    started = time.perf_counter()
    embedder = Embedder(settings.model_path)
    model_load_s = time.perf_counter() - started
    started, cpu = time.perf_counter(), time.process_time()
    build(settings, embedder)
    build_s, build_cpu_s = time.perf_counter() - started, time.process_time() - cpu
    cold = None
    if cold_start:
        env = {
            **os.environ,
            "LERASSIST_INDEX_DIR": str(settings.index_dir),
            "LERASSIST_FEEDBACK_PATH": str(settings.feedback_path),
            "LERASSIST_CHROMA_URL": "",
            "LERASSIST_AUTO_BUILD": "false",
        }
        cmd = [sys.executable, "-m", "lerassist.cli", "ask", question, "--content", str(settings.content_dir)]
        cold = measure_process(cmd, env)
        if not cold.output.strip():
            raise RuntimeError(f"{' '.join(cmd)} printed no answer")
    return embedder, Costs(model_load_s, build_s, build_cpu_s, cold)


def compare(systems: dict, embedder: Embedder, questions: list[Question]) -> tuple[dict[str, list[Result]], list[float]]:
    """Every system answers each question in turn, after one warm-up each, and so does one bare
    query embedding (the floor under any answer that embeds the question). The order turns by
    one place per question, so no system always runs right after the same neighbour."""
    calls = {FLOOR: embedder.embed_query, **{name: system.ask for name, system in systems.items()}}
    for call in calls.values():
        call(questions[0].question)
    results: dict[str, list[Result]] = {name: [] for name in systems}
    floor_ms = []
    names = list(calls)
    for turn, q in enumerate(questions):
        shift = turn % len(names)
        for name in names[shift:] + names[:shift]:
            started = time.perf_counter()
            answer = calls[name](q.question)
            elapsed = (time.perf_counter() - started) * 1000
            if name == FLOOR:
                floor_ms.append(elapsed)
            else:
                results[name].append(Result(q, answer, elapsed, source_rank(q, answer), facts_met(q, answer)))
    return results, floor_ms


def targets(scores: dict[str, dict], ratio: float, costs: Costs) -> list[Target]:
    ours = scores[LERASSIST]
    peers = {name: m for name, m in scores.items() if name != LERASSIST}
    out = []
    for label, key in QUALITY:
        best = max(peers, key=lambda name: peers[name][key] or 0)
        met = all((ours[key] or 0) > (m[key] or 0) for m in peers.values())
        out.append(Target(f"ahead of every peer on {label}", met, f"{_cell(ours[key])} vs best peer {_cell(peers[best][key])} ({best})"))
    out.append(Target(f"warm latency / floor <= {MAX_RATIO}", ratio <= MAX_RATIO, f"{ratio:.2f}"))
    out.append(Target(f"index build <= {MAX_BUILD_S:.0f} s", costs.build_s <= MAX_BUILD_S, f"{costs.build_s:.1f} s"))
    cold, skipped = costs.cold_start, "not measured (--skip-cold-start)"
    out.append(Target(
        f"cold start to first answer <= {MAX_COLD_START_S:.0f} s",
        cold and cold.first_line_s <= MAX_COLD_START_S,
        f"{cold.first_line_s:.1f} s" if cold else skipped,
    ))
    out.append(Target(
        f"peak RSS <= {MAX_RSS_BYTES // MIB} MiB",
        cold and cold.peak_rss_bytes <= MAX_RSS_BYTES,
        f"{cold.peak_rss_bytes / MIB:.0f} MiB" if cold else skipped,
    ))
    return out


def report(scores: dict[str, dict], floor_ms: list[float], costs: Costs, run: dict) -> str:
    """The Markdown written to results.md and printed: the table, the caveats that make it
    fair to read, lerassist's costs, then every target with ✓/✗ and the missed ones named."""
    ours, floor_p50 = scores[LERASSIST]["latency_ms_p50"], percentile(floor_ms, 50)
    ratio = ours / floor_p50
    head = "| system | " + " | ".join(label for label, _ in COLUMNS) + " |"
    lines = [
        "# lerassist against the usual alternatives",
        "",
        f"Run {run['when']} of {run['revision']} on {run['cpus']} CPUs, {run['minutes']:.1f} min end to end: "
        f"{run['questions']} questions from `{run['questions_file']}` ({run['answerable']} answerable), content `{run['content']}` "
        f"({run['passages']} passages).",
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
        f"- index build (a temp dir, a freshly loaded model with no cached passage vectors, all "
        f"{run['passages']} passages embedded): {costs.build_s:.1f} s (CPU time {costs.build_cpu_s:.1f} s); "
        f"loading the model first took {costs.model_load_s:.1f} s",
    ]
    if costs.cold_start is None:
        lines.append("- cold start and peak RSS: not measured in this run (`--skip-cold-start`)")
    else:
        lines += [
            f"- cold start to first answer (a fresh `lerassist ask` process, index already built): "
            f"{costs.cold_start.first_line_s:.1f} s (the process used {costs.cold_start.cpu_s:.1f} s of CPU time in all)",
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
    if run["others_cpu"] > NOISY_SHARE:
        lines += [
            "",
            f"Other processes took {run['others_cpu']:.0%} of the machine's CPU during this run: absolute "
            "times are inflated and noisy; the latency ratio compares systems measured under the same load.",
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
@click.option("--skip-cold-start", is_flag=True, help="Skip the fresh `lerassist ask` process (cold start and peak RSS).")
def main(questions_file: Path, content: Path | None, limit: int | None, out: Path, skip_cold_start: bool):
    """Compare lerassist with BM25, dense retrieval and llama-index defaults on QUESTIONS_FILE
    (default: eval/questions.yaml). Everything is built in a temp dir; only --out is written."""
    from .answer import Assistant
    from .peers import BM25Peer, DensePeer, LlamaIndexPeer

    started, others = time.perf_counter(), OthersCpu()
    when, revision = time.strftime("%Y-%m-%d %H:%M"), _revision()
    try:
        questions = load_questions(questions_file)[:limit]
        first = next((q.question for q in questions if q.answerable), questions[0].question)
        with tempfile.TemporaryDirectory(prefix="lerassist-bench-") as tmp:
            settings = Settings.from_env(content_dir=content).replace(
                index_dir=Path(tmp) / "index", feedback_path=Path(tmp) / "feedback.jsonl", chroma_url=""
            )
            embedder, costs = measure_costs(settings, first, cold_start=not skip_cold_start)
            systems = {
                LERASSIST: Assistant(settings, embedder),
                BM25Peer.name: BM25Peer(settings.content_dir, settings.top_k),
                DensePeer.name: DensePeer(settings.content_dir, settings.top_k, embedder),
                LlamaIndexPeer.name: LlamaIndexPeer(settings.content_dir, embedder),
            }
            results, floor_ms = compare(systems, embedder, questions)
    except (ValueError, ContentError, IndexUnavailable, RuntimeError) as err:
        raise click.ClickException(str(err)) from err
    run = {
        "when": when,
        "revision": revision,
        "minutes": (time.perf_counter() - started) / 60,
        "cpus": os.cpu_count(),
        "others_cpu": others.share(),
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


def _revision() -> str:
    """Which code was measured: the commit, and whether the pipeline had uncommitted changes."""
    try:
        git = ["git", "-C", str(PROJECT_ROOT)]
        commit = subprocess.run(git + ["rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True).stdout.strip()
        dirty = subprocess.run(git + ["status", "--porcelain", "src"], capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "an unknown revision"
    return f"commit {commit}" + (" with uncommitted changes in src/" if dirty else "")


def _shown(path: Path) -> str:
    """Project paths relative, so a committed results.md does not name one machine's checkout."""
    path = path.resolve()
    return str(path.relative_to(PROJECT_ROOT)) if path.is_relative_to(PROJECT_ROOT) else str(path)


if __name__ == "__main__":
    main()

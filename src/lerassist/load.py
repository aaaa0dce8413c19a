"""`python -m lerassist.load`: many people asking at once, against the HTTP API on loopback.

A bounded number of questions (default 500) is sent from N concurrent clients (default 20) to
`POST /api/ask`; the run prints throughput, p50/p95/p99 latency and every error by kind. With
`--url` it loads an app that is already running; without, it starts `app.py` itself on a free
port (with the caller's LERASSIST_* settings) and stops it afterwards, so the command works
alone. Only loopback addresses are accepted: the figures are meant to describe this machine,
and 500 questions are not something to send to another host by accident.
"""

from __future__ import annotations

import asyncio
import ipaddress
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Self
from urllib.parse import urlparse

import click
import httpx
import psutil

from .bench import OthersCpu
from .evaluate import load_questions, percentile
from .settings import PROJECT_ROOT

DEFAULT_REQUESTS = 500
DEFAULT_CLIENTS = 20
TARGET_P95_S = 1.0
REQUEST_TIMEOUT_S = 60.0
APP_START_TIMEOUT_S = 240.0
PROBE = "What is an LER?"


@dataclass
class LoadResult:
    url: str
    clients: int
    asked: int
    wall_s: float = 0.0
    latencies_s: list[float] = field(default_factory=list)
    errors: Counter = field(default_factory=Counter)

    @property
    def answered(self) -> int:
        return len(self.latencies_s)

    @property
    def not_sent(self) -> int:
        """Questions the time bound stopped before they were sent."""
        return self.asked - self.answered - sum(self.errors.values())

    @property
    def throughput(self) -> float:
        return self.answered / self.wall_s if self.wall_s else 0.0

    def p(self, pct: float) -> float:
        return percentile(self.latencies_s, pct)

    @property
    def target_met(self) -> bool:
        return not self.errors and not self.not_sent and self.p(95) < TARGET_P95_S

    def summary(self) -> str:
        errors = ", ".join(f"{kind} x{n}" for kind, n in self.errors.most_common()) or "none"
        lines = [
            f"{self.asked} questions from {self.clients} clients to {self.url} in {self.wall_s:.1f} s",
            f"answered    {self.answered} ({self.throughput:.1f} answers/s)",
            f"latency     p50 {self.p(50):.3f} s, p95 {self.p(95):.3f} s, p99 {self.p(99):.3f} s, max {max(self.latencies_s, default=0):.3f} s",
            f"errors      {sum(self.errors.values())} ({errors})",
        ]
        if self.not_sent:
            lines.append(f"not sent    {self.not_sent} (the time bound was reached)")
        lines.append(f"target (0 errors, p95 < {TARGET_P95_S:g} s): {'met' if self.target_met else 'NOT met'}")
        return "\n".join(lines)


async def _load(url: str, questions: list[str], asked: int, clients: int, max_seconds: float) -> LoadResult:
    """Each client takes the next question as soon as its previous answer is back, until all
    are asked or the time bound is reached; a request still running at the bound is cut off
    by its own timeout, never left behind."""
    result = LoadResult(url, clients, asked)
    endpoint = url.rstrip("/") + "/api/ask"
    turn = iter(range(asked))
    started = time.perf_counter()
    deadline = started + max_seconds

    async def client(http: httpx.AsyncClient) -> None:
        for i in turn:
            left = deadline - time.perf_counter()
            if left <= 0:
                return
            sent = time.perf_counter()
            try:
                response = await http.post(endpoint, json={"question": questions[i % len(questions)]}, timeout=min(REQUEST_TIMEOUT_S, left))
            except httpx.HTTPError as err:
                result.errors[type(err).__name__] += 1
                continue
            if response.status_code != 200:
                result.errors[f"HTTP {response.status_code}"] += 1
            elif not _is_answer(response):
                result.errors["200 without an answer object"] += 1
            else:
                result.latencies_s.append(time.perf_counter() - sent)

    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(limits=limits, trust_env=False) as http:
        await asyncio.gather(*(client(http) for _ in range(clients)))
    result.wall_s = time.perf_counter() - started
    return result


def _is_answer(response: httpx.Response) -> bool:
    try:
        body = response.json()
    except ValueError:
        return False
    return isinstance(body, dict) and isinstance(body.get("text"), str)


def run(url: str, questions: list[str], asked: int = DEFAULT_REQUESTS, clients: int = DEFAULT_CLIENTS, max_seconds: float = 600) -> LoadResult:
    check_loopback(url)
    if not questions:
        raise ValueError("no questions to ask")
    return asyncio.run(_load(url, questions, asked, clients, max_seconds))


def check_loopback(url: str) -> None:
    host = urlparse(url).hostname or ""
    try:
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise ValueError(f"{url} is not a loopback address; the load test only targets this machine (127.0.0.1, ::1, localhost)")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class AppProcess:
    """`python app.py` on a free loopback port, stopped on leaving the `with` block. It loads the
    model and opens the index before listening, so wait_until_answering() is when it is ready;
    its output goes to a temp file whose tail is shown if it dies or never answers."""

    def __init__(self, env: dict | None = None, port: int | None = None):
        self.url = f"http://127.0.0.1:{port or free_port()}"
        self.env = {**(os.environ if env is None else env), "LERASSIST_HOST": "127.0.0.1"}
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> Self:
        self.output = tempfile.TemporaryFile("w+")
        self.process = subprocess.Popen(
            [sys.executable, str(PROJECT_ROOT / "app.py"), "--port", self.url.rsplit(":", 1)[1]],
            env=self.env, stdout=self.output, stderr=subprocess.STDOUT, cwd=tempfile.gettempdir(),
        )
        return self

    def wait_until_answering(self, timeout: float = APP_START_TIMEOUT_S) -> None:
        deadline = time.monotonic() + timeout
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"app.py exited with {self.process.returncode}:\n{self.tail()}")
            try:
                httpx.post(self.url + "/api/ask", json={"question": PROBE}, timeout=30, trust_env=False)
                return
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"app.py did not answer on {self.url} within {timeout:.0f} s:\n{self.tail()}") from None
                time.sleep(0.5)

    def tail(self) -> str:
        self.output.flush()
        self.output.seek(0)
        return self.output.read()[-3000:]

    def __exit__(self, *exc) -> None:
        stop(self.process)
        self.output.close()


def stop(process: subprocess.Popen, grace: float = 30) -> None:
    """SIGTERM, then SIGKILL if it has not ended within `grace` seconds."""
    process.terminate()
    try:
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


class MachineLoad:
    """How busy the machine was besides this run, so the figures can be read for what they are
    (on a shared CPU, others' work inflates every latency). When the app is our own child its
    CPU time per answer is given too: a cost that others' load barely changes."""

    def __init__(self, app: psutil.Process | None):
        self.load_before, self.others, self.app = os.getloadavg()[0], OthersCpu(), app
        self.app_cpu = _cpu(app) if app else 0.0

    def note(self, result: LoadResult) -> str:
        share, cpus = self.others.share(), psutil.cpu_count()
        text = f"machine: {cpus} CPUs, 1-min load average {self.load_before:.2f} before the run; "
        if self.app is None:
            return text + f"processes other than this client (the app included) took {share:.0%} of the CPU during it"
        used = _cpu(self.app) - self.app_cpu
        share = max(0.0, share - used / (result.wall_s * cpus))
        text += f"processes other than the app and this client took {share:.0%} of the CPU during it"
        if not result.answered:
            return text
        # Every client waits for its answer, so the CPU all of them need is shared by all of them.
        per_answer = used / result.answered
        floor = per_answer * max(1.0, min(result.clients, result.asked) / cpus)
        return text + (
            f"; the app used {per_answer * 1000:.0f} ms of CPU per answer: at that cost {result.clients} clients "
            f"sharing {cpus} CPUs wait at least {floor:.2f} s a question on average"
        )


def _cpu(process: psutil.Process) -> float:
    times = process.cpu_times()
    return times.user + times.system


@click.command()
@click.option("--url", help="A running app, e.g. http://127.0.0.1:7860 (loopback only). Default: start app.py on a free port.")
@click.option("--requests", "asked", type=click.IntRange(min=1), default=DEFAULT_REQUESTS, show_default=True, help="Questions to send in all.")
@click.option("--clients", type=click.IntRange(min=1), default=DEFAULT_CLIENTS, show_default=True, help="Concurrent clients.")
@click.option("--max-seconds", type=click.FloatRange(min=1), default=600, show_default=True, help="Stop sending after this long.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Also write the figures as Markdown here (e.g. bench/load.md).")
@click.option("--questions", "questions_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              default=PROJECT_ROOT / "eval" / "questions.yaml", show_default=True, help="Question set (eval YAML), asked in turn.")
def main(url: str | None, asked: int, clients: int, max_seconds: float, out: Path | None, questions_file: Path):
    """Load POST /api/ask and print throughput, latency percentiles and errors; exit 1 unless
    every question was answered."""
    try:
        questions = [q.question for q in load_questions(questions_file)]
        if url:
            check_loopback(url)
            result, note = measure(url, None, questions, asked, clients, max_seconds)
        else:
            click.echo("Starting app.py on a free loopback port (model and index load first)...", err=True)
            with AppProcess() as app:
                app.wait_until_answering()
                result, note = measure(app.url, app.process.pid, questions, asked, clients, max_seconds)
    except (ValueError, RuntimeError) as err:
        raise click.ClickException(str(err)) from err
    click.echo(result.summary() + "\n" + note)
    if out:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(report(result, note, questions_file, started_app=not url), encoding="utf-8")
    sys.exit(0 if result.answered == asked else 1)


def measure(url: str, app_pid: int | None, questions: list[str], asked: int, clients: int, max_seconds: float) -> tuple[LoadResult, str]:
    """The run and the note on the machine's load, taken while the app is still running."""
    machine = MachineLoad(psutil.Process(app_pid) if app_pid else None)
    result = run(url, questions, asked, clients, max_seconds)
    return result, machine.note(result)


def report(result: LoadResult, note: str, questions_file: Path, started_app: bool) -> str:
    where = "an app.py it started on a free port" if started_app else "a running app"
    return (
        "# Load: many people asking at once\n\n"
        f"Run {time.strftime('%Y-%m-%d %H:%M')} with `python -m lerassist.load`, against {where}: "
        f"{result.asked} questions from `{_shown(questions_file)}` in turn, {result.clients} concurrent clients, "
        "each sending its next question as soon as its answer is back.\n\n"
        f"```\n{result.summary()}\n```\n\n{note[0].upper() + note[1:]}.\n"
    )


def _shown(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(PROJECT_ROOT))
    except ValueError:
        return str(path)


if __name__ == "__main__":
    main()

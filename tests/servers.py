"""Real processes the fault and server tests start, stop and kill: a Chroma server, the app served
in a thread of this process, and a `lerassist build` killed midway."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import httpx
import uvicorn

from lerassist.load import free_port, stop

BIN = Path(sys.executable).parent


def clean_env(**values) -> dict:
    """This process's environment without the developer's LERASSIST_* settings, plus `values`
    (names without the prefix), for a child process that must see only what the test sets."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LERASSIST_")}
    return env | {f"LERASSIST_{name.upper()}": str(value) for name, value in values.items()}


class ChromaServer:
    """`chroma run` on a loopback port with its data under `path`. stop() then start() brings
    the same data back on the same port, as a restarted server would."""

    def __init__(self, path: Path, port: int | None = None):
        self.path, self.port = path, port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None
        self.log = path.with_name(path.name + ".log")

    def start(self, timeout: float = 60) -> None:
        with open(self.log, "a") as log:
            self.process = subprocess.Popen(
                [BIN / "chroma", "run", "--path", str(self.path), "--host", "127.0.0.1", "--port", str(self.port)],
                stdout=log, stderr=subprocess.STDOUT, env=clean_env(),
            )
        deadline = time.monotonic() + timeout
        while not self.answers():
            assert self.process.poll() is None, f"chroma run exited: {self.log.read_text()[-2000:]}"
            assert time.monotonic() < deadline, f"chroma run did not answer on {self.url}"
            time.sleep(0.1)

    def answers(self) -> bool:
        try:
            return httpx.get(f"{self.url}/api/v2/heartbeat", timeout=2, trust_env=False).status_code == 200
        except httpx.TransportError:
            return False

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            stop(self.process, grace=20)


@contextmanager
def served(app):
    """The ASGI app on a free loopback port, in a thread of this process; yields its URL."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the app did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def kill_build_midway(env: dict, started, timeout: float = 300) -> None:
    """Runs `lerassist build` in its own process and SIGKILLs it the moment `started()` sees its
    new build (a folder or a collection), before it can be published."""
    with tempfile.TemporaryFile("w+") as output:
        process = subprocess.Popen([BIN / "lerassist", "build"], env=env, stdout=output, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        try:
            while not started():
                if process.poll() is not None or time.monotonic() > deadline:
                    output.seek(0)
                    raise AssertionError(f"the build was not caught midway (exit {process.returncode}): {output.read()[-2000:]}")
                time.sleep(0.02)
            os.kill(process.pid, signal.SIGKILL)
        finally:
            if process.poll() is None:
                process.kill()
            process.wait()
    assert process.returncode == -signal.SIGKILL


def add_busy_page(content_dir: Path) -> Path:
    """A page of 80 new sections: a build then has seconds of embedding to do (the vectors of
    unchanged pages are reused) and can be caught between starting and publishing."""
    sections = "".join(
        f"## Note {i}\n\nNote {i} says that herd {i} of striped zebras grazes on plain {i * 7} beside river {i * 13}.\n\n"
        for i in range(80)
    )
    page = content_dir / "extra-notes.md"
    page.write_text("---\ntitle: Extra Notes\nurl: https://lermap.t3networkhub.org/extra-notes\nkind: guide\n---\n\n" + sections)
    return page


def post(url: str, question: str, **fields) -> httpx.Response:
    return httpx.post(f"{url}/api/ask", json={"question": question, **fields}, timeout=60, trust_env=False)


def wait_for(condition, timeout: float, what: str, pause: float = 0.25):
    """Polls `condition()` until it returns something true, which is returned."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(pause)

"""One real model and one real Chroma index per test session, built into a temp dir.

Every path a test touches is a temp dir: CI has ../shared read-only and the repo's own index/
must never be overwritten by a test run.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from lerassist.settings import PROJECT_ROOT, Settings

SHARED_MAP = PROJECT_ROOT.parent / "shared" / "ler-map"
CONTENT = PROJECT_ROOT / "content"


def make_settings(tmp: Path, **overrides) -> Settings:
    """Settings from defaults only (the developer's LERASSIST_* variables must not leak in)."""
    values = {"index_dir": tmp / "index", "feedback_path": tmp / "feedback.jsonl"}
    values.update(overrides)
    return Settings.from_env(env={}, **values)


@pytest.fixture(scope="session")
def embedder():
    from lerassist.embedding import Embedder

    return Embedder.shared()


@pytest.fixture(scope="session")
def session_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("lerassist")


@pytest.fixture(scope="session")
def settings(session_dir) -> Settings:
    return make_settings(session_dir)


@pytest.fixture(scope="session")
def assistant(settings, embedder):
    from lerassist.answer import Assistant

    return Assistant(settings, embedder)


@pytest.fixture
def content_copy(tmp_path) -> Path:
    """A writable copy of content/ for tests that break or change pages."""
    target = tmp_path / "content"
    shutil.copytree(CONTENT, target)
    return target


@pytest.fixture
def output_dir(request) -> Path:
    """Where a test leaves artefacts a person may look at (screenshots, reports)."""
    root = Path(os.environ.get("LERASSIST_TEST_OUTPUT", PROJECT_ROOT / "test-output"))
    path = root / request.node.name
    path.mkdir(parents=True, exist_ok=True)
    return path

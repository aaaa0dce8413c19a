"""The manifest decides when to rebuild; builds are published atomically, so the previous index
keeps answering through broken content and killed builds."""

import json
import os

import pytest

from conftest import make_settings
from lerassist.answer import Assistant
from lerassist.content import ContentError
from lerassist.index import IndexUnavailable, LocalStore, build, ensure


def unpublished_build(store: LocalStore, build_id: str):
    """A build folder as a build leaves it before publishing: a store file, no manifest."""
    path = store.builds / build_id
    path.mkdir()
    (path / "chroma.sqlite3").write_bytes(b"not a finished database")
    return path


@pytest.fixture
def own_index(tmp_path, content_copy, embedder):
    settings = make_settings(tmp_path, content_dir=content_copy)
    return settings, build(settings, embedder)


def test_manifest_records_what_shaped_the_index(own_index):
    settings, manifest = own_index
    stored = json.loads((LocalStore(settings).current / "manifest.json").read_text())
    assert stored["content_hash"] == manifest.content_hash
    assert stored["model"].startswith("all-MiniLM-L6-v2")
    assert stored["chunking_version"] and stored["passages"] == manifest.passages > 150


def test_unchanged_content_reuses_the_index_and_changed_content_rebuilds(own_index, embedder):
    settings, manifest = own_index
    assert ensure(settings, embedder).build_id == manifest.build_id
    page = settings.content_dir / "glossary.md"
    page.write_text(page.read_text() + "\n## Zebra Credential\n\nZebra Credential is a striped test term.\n")
    rebuilt = ensure(settings, embedder)
    assert rebuilt.build_id != manifest.build_id
    answer = Assistant(settings, embedder).ask("What is a zebra credential?")
    assert "striped" in answer.text


def test_broken_content_refuses_to_build_and_the_old_index_keeps_answering(own_index, embedder):
    settings, manifest = own_index
    (settings.content_dir / "broken.md").write_text("---\ntitle: Broken\nkind: guide\n---\n## S\ntext\n")
    with pytest.raises(ContentError, match="broken.md"):
        build(settings, embedder)
    assistant = Assistant(settings, embedder)
    assert LocalStore(settings).read_manifest().build_id == manifest.build_id
    assert not assistant.ask("What is an issuer?").abstained


def test_an_interrupted_build_leaves_the_published_index(own_index, embedder):
    settings, manifest = own_index
    store = LocalStore(settings)
    half_built = unpublished_build(store, "b-interrupted")
    assistant = Assistant(settings, embedder)
    assert store.read_manifest().build_id == manifest.build_id
    assert "sign" in assistant.ask("What is an issuer?").text.lower()
    build(settings, embedder)
    assert not half_built.exists()


def test_a_build_never_removes_a_newer_build_still_in_progress(own_index, embedder):
    """Two builds at once (two terminals, or CI and a person): the one that finishes first
    must not delete the folder the other is still writing."""
    settings, first = own_index
    store = LocalStore(settings)
    in_progress = unpublished_build(store, "b99991231235959-later")
    second = build(settings, embedder)
    assert {p.name for p in store.builds.iterdir()} == {first.build_id, second.build_id, in_progress.name}


def test_missing_index_without_auto_build_says_to_run_build(tmp_path, embedder):
    settings = make_settings(tmp_path, auto_build=False)
    with pytest.raises(IndexUnavailable, match="lerassist build"):
        ensure(settings, embedder)


def test_index_deleted_while_running_gives_a_clear_error(own_index, embedder):
    settings, _ = own_index
    assistant = Assistant(settings, embedder)
    os.remove(LocalStore(settings).current)
    with pytest.raises(IndexUnavailable, match="lerassist build"):
        assistant.ask("What is an issuer?")


def test_other_content_folders_get_their_own_index(settings, content_copy, tmp_path):
    other = settings.replace(content_dir=content_copy)
    assert other.store_dir != settings.store_dir
    assert other.store_dir.parent == settings.store_dir.parent

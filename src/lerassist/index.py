"""Build and open the Chroma index, embedded on disk or on a Chroma server.

Builds go into a fresh location (a new folder, or a new server collection) and are published by
one atomic step (a symlink swap, or one metadata update) only once complete, so a build that is
interrupted, killed or refused leaves the previous index answering. A manifest records what
shaped the index (content hash, model, chunking version); when any of them changes the index
is stale and is rebuilt.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import time
import uuid
from dataclasses import asdict, dataclass
from pathlib import Path
from urllib.parse import urlparse

from .content import CHUNKING_VERSION, content_hash, load_passages
from .embedding import Embedder
from .models import Passage
from .settings import Settings

os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
log = logging.getLogger(__name__)
PASSAGE_FIELDS = [f for f in Passage.__dataclass_fields__ if f not in ("id", "text")]
EMBEDDED_FIELDS = ("title", "section")


class IndexUnavailable(RuntimeError):
    """The index cannot answer now; the message says why and what to do."""


@dataclass(frozen=True)
class Manifest:
    content_hash: str
    model: str
    chunking_version: str
    passages: int
    build_id: str
    built_at: float
    collection: str
    content_dir: str

    def shapes_match(self, other: "Manifest") -> bool:
        return (self.content_hash, self.model, self.chunking_version) == (
            other.content_hash,
            other.model,
            other.chunking_version,
        )


def _chroma_settings():
    from chromadb.config import Settings as ChromaSettings

    return ChromaSettings(anonymized_telemetry=False, allow_reset=False)


class LocalStore:
    """Embedded Chroma under `store_dir`: builds/<id>/ each a complete store, `current` a
    symlink to the published one."""

    def __init__(self, settings: Settings):
        self.root = settings.store_dir
        self.builds = self.root / "builds"
        self.current = self.root / "current"
        self.previous = self.root / "previous"

    def describe(self) -> str:
        return str(self.root)

    def read_manifest(self) -> Manifest | None:
        try:
            return Manifest(**json.loads((self.current / "manifest.json").read_text()))
        except FileNotFoundError:
            return None
        except (ValueError, TypeError) as err:
            raise IndexUnavailable(f"the index at {self.root} is damaged ({err}); run `lerassist build`") from err

    def token(self) -> str:
        """Changes when another build is published; missing when the index is gone."""
        try:
            return os.path.basename(os.readlink(self.current))
        except OSError:
            raise IndexUnavailable(f"no index at {self.root}; run `lerassist build`") from None

    def create(self, build_id: str):
        import chromadb

        path = self.builds / build_id
        path.mkdir(parents=True)
        client = chromadb.PersistentClient(path=str(path), settings=_chroma_settings())
        return client.create_collection(build_id, metadata={"hnsw:space": "cosine"}, embedding_function=None)

    def publish(self, manifest: Manifest) -> None:
        path = self.builds / manifest.build_id
        (path / "manifest.json").write_text(json.dumps(asdict(manifest), indent=2))
        before = os.readlink(self.current) if self.current.is_symlink() else None
        self._link(Path("builds") / manifest.build_id, self.current)
        if before:
            self._link(before, self.previous)

    def _link(self, target, name: Path) -> None:
        temp = self.root / f".link-{uuid.uuid4().hex[:8]}"
        os.symlink(target, temp)
        os.replace(temp, name)

    def discard(self, build_id: str) -> None:
        shutil.rmtree(self.builds / build_id, ignore_errors=True)

    def prune(self) -> None:
        """Keep the published build, the one published before it (a process may still be
        reading it) and any newer one (another process's build in progress); remove the rest,
        such as builds killed before they were published. Build ids sort by time."""
        live = os.path.basename(os.readlink(self.current))
        previous = os.path.basename(os.readlink(self.previous)) if self.previous.is_symlink() else None
        for path in self.builds.iterdir():
            if path.name < live and path.name != previous:
                shutil.rmtree(path, ignore_errors=True)

    def open(self, manifest: Manifest):
        import chromadb

        path = self.builds / manifest.build_id
        client = chromadb.PersistentClient(path=str(path), settings=_chroma_settings())
        return client.get_collection(manifest.collection, embedding_function=None)


class ServerStore:
    """A Chroma server: each build is a new collection; a small pointer collection's metadata
    names the published one, so several app processes share it."""

    def __init__(self, settings: Settings):
        self.url = settings.chroma_url
        parsed = urlparse(settings.chroma_url)
        if not parsed.hostname:
            raise IndexUnavailable(f"LERASSIST_CHROMA_URL '{settings.chroma_url}' is not http://host:port")
        self.prefix = settings.collection_prefix
        self._address = (parsed.hostname, parsed.port or 8000, parsed.scheme == "https")
        self._client = None

    @property
    def client(self):
        """Connected on first use, and again after a failure, so a server that was down when
        the process started (or restarted since) is picked up without restarting the app."""
        if self._client is None:
            import chromadb

            host, port, ssl = self._address
            try:
                self._client = chromadb.HttpClient(host=host, port=port, ssl=ssl, settings=_chroma_settings())
            except Exception as err:
                raise self.unavailable(err) from err
        return self._client

    def describe(self) -> str:
        return self.url

    def unavailable(self, err: Exception) -> IndexUnavailable:
        return IndexUnavailable(f"the index is unavailable: Chroma server {self.url} did not answer ({type(err).__name__})")

    def _pointer(self):
        return self.client.get_or_create_collection(f"{self.prefix}-current", embedding_function=None)

    def read_manifest(self) -> Manifest | None:
        try:
            meta = self._pointer().metadata or {}
        except IndexUnavailable:
            raise
        except Exception as err:
            self._client = None
            raise self.unavailable(err) from err
        return Manifest(**json.loads(meta["manifest"])) if "manifest" in meta else None

    def token(self) -> str:
        manifest = self.read_manifest()
        if manifest is None:
            raise IndexUnavailable(f"no index on {self.url}; run `lerassist build`")
        return manifest.build_id

    def create(self, build_id: str):
        return self.client.create_collection(
            f"{self.prefix}-{build_id}", metadata={"hnsw:space": "cosine"}, embedding_function=None
        )

    def publish(self, manifest: Manifest) -> None:
        before = self.read_manifest()
        previous = {"previous": before.collection} if before else {}
        self._pointer().modify(metadata={"manifest": json.dumps(asdict(manifest)), **previous})

    def discard(self, build_id: str) -> None:
        try:
            self.client.delete_collection(f"{self.prefix}-{build_id}")
        except Exception:
            pass

    def prune(self) -> None:
        """Keep the published collection, the one published before it (a process may still be
        reading it) and any newer one (another process's build in progress); remove the rest,
        such as builds killed before they were published. Build ids sort by time."""
        meta = self._pointer().metadata or {}
        live = json.loads(meta["manifest"])["collection"]
        for c in self.client.list_collections():
            if c.name.startswith(self.prefix + "-b") and c.name < live and c.name != meta.get("previous"):
                self.client.delete_collection(c.name)

    def open(self, manifest: Manifest):
        try:
            return self.client.get_collection(manifest.collection, embedding_function=None)
        except Exception as err:
            raise self.unavailable(err) from err


def store_for(settings: Settings) -> LocalStore | ServerStore:
    return ServerStore(settings) if settings.chroma_url else LocalStore(settings)


def wanted_manifest(settings: Settings, embedder: Embedder) -> Manifest:
    return Manifest(
        content_hash=content_hash(settings.content_dir),
        model=embedder.name,
        chunking_version=CHUNKING_VERSION,
        passages=0,
        build_id="",
        built_at=0.0,
        collection="",
        content_dir=str(settings.content_dir),
    )


def build(settings: Settings, embedder: Embedder) -> Manifest:
    """Load and check every page first (a broken page raises ContentError before anything is
    written), embed into a new collection, then publish it."""
    from llama_index.core import StorageContext, VectorStoreIndex
    from llama_index.vector_stores.chroma import ChromaVectorStore

    passages = load_passages(settings.content_dir)
    store = store_for(settings)
    _reuse_embeddings(store, embedder)
    # Sorts by start time to the microsecond (prune relies on it: a build killed and the next
    # one can start within the same second); the random tail tells apart two at the same instant.
    now = time.time()
    build_id = time.strftime("b%Y%m%d%H%M%S", time.localtime(now)) + f"{int(now * 1e6) % 1_000_000:06d}-" + uuid.uuid4().hex[:4]
    collection = store.create(build_id)
    try:
        nodes = [node_for(p.metadata(), p.text, p.id) for p in passages]
        VectorStoreIndex(
            nodes,
            storage_context=StorageContext.from_defaults(vector_store=ChromaVectorStore(chroma_collection=collection)),
            embed_model=embedder.as_llama_index(),
        )
        manifest = Manifest(
            **{
                **asdict(wanted_manifest(settings, embedder)),
                "passages": len(passages),
                "build_id": build_id,
                "built_at": time.time(),
                "collection": collection.name,
            }
        )
        store.publish(manifest)
    except BaseException:
        store.discard(build_id)
        raise
    store.prune()
    return manifest


def _reuse_embeddings(store, embedder: Embedder) -> None:
    """Pages that did not change keep their vectors: a one-line edit rebuilds in seconds."""
    try:
        manifest = store.read_manifest()
        if manifest is None or manifest.model != embedder.name:
            return
        got = store.open(manifest).get(include=["documents", "metadatas", "embeddings"])
    except Exception as err:
        log.info("previous index not reusable (%s); embedding every passage", err)
        return
    texts = [embed_text(meta, doc) for doc, meta in zip(got["documents"], got["metadatas"])]
    embedder.remember(texts, got["embeddings"])


def embed_text(metadata: dict, text: str) -> str:
    """What the model sees for a passage: llama-index's rendering of the embedded fields."""
    from llama_index.core.schema import MetadataMode

    return node_for(metadata, text).get_content(metadata_mode=MetadataMode.EMBED)


def node_for(metadata: dict, text: str, node_id: str | None = None):
    from llama_index.core.schema import TextNode

    return TextNode(
        **({"id_": node_id} if node_id else {}),
        text=text,
        metadata={f: metadata.get(f, "") for f in PASSAGE_FIELDS},
        excluded_embed_metadata_keys=[f for f in PASSAGE_FIELDS if f not in EMBEDDED_FIELDS],
        excluded_llm_metadata_keys=PASSAGE_FIELDS,
    )


def passages_of(collection) -> list[Passage]:
    """The passages as stored: BM25 and the answer composer work from exactly what was indexed."""
    got = collection.get(include=["documents", "metadatas"])
    passages = [
        Passage(id=i, text=doc, **{f: str(meta.get(f, "")) for f in PASSAGE_FIELDS})
        for i, doc, meta in zip(got["ids"], got["documents"], got["metadatas"])
    ]
    return sorted(passages, key=lambda p: p.id)


def ensure(settings: Settings, embedder: Embedder) -> Manifest:
    """The published index if it matches the content, model and chunking; otherwise a new
    build (when auto_build is on) or a message saying to run `lerassist build`."""
    store = store_for(settings)
    try:
        current = store.read_manifest()
    except IndexUnavailable:
        if not settings.auto_build:
            raise
        current = None
    if current is not None and current.shapes_match(wanted_manifest(settings, embedder)):
        return current
    if not settings.auto_build:
        state = "missing" if current is None else "out of date with the content"
        raise IndexUnavailable(f"the index at {store.describe()} is {state}; run `lerassist build`")
    return build(settings, embedder)

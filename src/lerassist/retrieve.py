"""Hybrid retrieval: dense (MiniLM through llama-index over Chroma) and BM25, fused by
reciprocal rank, then nudged by what the question is about (query.Intent).

Plain dense retrieval finds the right topic but often the wrong stakeholder; plain BM25 misses
paraphrases; neither knows that "What should employers do when adopting?" means one section of
one page. The intent list is a third ranking fused like the other two.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from dataclasses import dataclass, replace

import bm25s
import numpy as np

from .embedding import Embedder
from .index import IndexUnavailable, Manifest, passages_of, store_for
from .models import Passage
from .query import OVERVIEWS, STOPWORDS, Intent, Vocabulary, stem, tokens
from .settings import Settings

# Each point of structural match (stakeholder, phase, aspect, term) outweighs a rank-one finish
# in one retriever (1 / (rrf_k + 1) ~ 0.016), so a question naming "employers" and "business case"
# lands on that section even when a neighbour is closer in embedding space.
INTENT_BONUS = 0.03
log = logging.getLogger(__name__)
SERVER_RECHECK_SECONDS = 2.0


def bm25_tokens(text: str) -> list[str]:
    return [stem(w) for w in tokens(text) if w not in STOPWORDS]


def passage_document(p: Passage) -> str:
    return f"{p.title} {p.section} {p.text}"


@dataclass(frozen=True)
class Hit:
    passage: Passage
    score: float
    similarity: float


@dataclass(frozen=True)
class Ranking:
    hits: list[Hit]
    best_similarity: float
    """The closest passage's cosine similarity over all dense candidates: how near the map
    comes to the question at all, whatever the fusion put first."""


class Snapshot:
    """One published index opened: its collection, passages, BM25 and vocabulary."""

    def __init__(self, manifest: Manifest, collection, embedder: Embedder):
        from llama_index.core import VectorStoreIndex
        from llama_index.vector_stores.chroma import ChromaVectorStore

        self.manifest = manifest
        self.passages = passages_of(collection)
        if not self.passages:
            raise IndexUnavailable("the index is empty; run `lerassist build`")
        self.by_id = {p.id: i for i, p in enumerate(self.passages)}
        self.vector_index = VectorStoreIndex.from_vector_store(
            ChromaVectorStore(chroma_collection=collection), embed_model=embedder.as_llama_index()
        )
        self.bm25 = bm25s.BM25()
        self.bm25.index([bm25_tokens(passage_document(p)) for p in self.passages], show_progress=False)
        self.vocab = Vocabulary(self.passages)
        self.stakeholders = dict(sorted({p.stakeholder: p.title for p in self.passages if p.kind == "stakeholder"}.items()))
        self.sections = whole_sections(self.passages)


class Retriever:
    def __init__(self, settings: Settings, embedder: Embedder):
        self.settings = settings
        self.embedder = embedder
        self.store = store_for(settings)
        self._lock = threading.Lock()
        self._checked = 0.0
        self.snapshot: Snapshot | None = None
        try:
            self.current()
        except IndexUnavailable as err:
            # A process that starts while the index is broken or the server is down keeps
            # running and answers with the reason; it opens the index once it is back.
            log.warning("%s", err)

    def _open(self) -> Snapshot:
        manifest = self.store.read_manifest()
        if manifest is None:
            raise IndexUnavailable(f"no index at {self.store.describe()}; run `lerassist build`")
        try:
            return Snapshot(manifest, self.store.open(manifest), self.embedder)
        except IndexUnavailable:
            raise
        except Exception as err:
            raise IndexUnavailable(
                f"the index at {self.store.describe()} cannot be read ({type(err).__name__}: {err}); run `lerassist build`"
            ) from err

    def current(self) -> Snapshot:
        """The published index, reopened when another build replaced it; raises
        IndexUnavailable when it is gone, so callers answer with a message, not a crash."""
        snap = self.snapshot
        remote = bool(self.settings.chroma_url)
        if snap is not None and remote and time.monotonic() - self._checked < SERVER_RECHECK_SECONDS:
            return snap
        token = self.store.token()
        if snap is None or token != snap.manifest.build_id:
            with self._lock:
                snap = self.snapshot
                if snap is None or token != snap.manifest.build_id:
                    snap = self.snapshot = self._open()
        self._checked = time.monotonic()
        return snap

    def search(self, intent: Intent, stakeholder: str = "", k: int | None = None, snap: Snapshot | None = None) -> Ranking:
        snap = snap or self.current()
        k = k or self.settings.top_k
        allowed = [i for i, p in enumerate(snap.passages) if not stakeholder or p.stakeholder == stakeholder]
        if not allowed:
            return Ranking([], 0.0)
        dense = self._dense(snap, intent.text, stakeholder)
        sparse = self._sparse(snap, intent.text, allowed)
        fused: dict[int, float] = {}
        for ranking in (list(dense), sparse):
            for rank, i in enumerate(ranking):
                fused[i] = fused.get(i, 0.0) + 1.0 / (self.settings.rrf_k + rank + 1)
        for i in allowed:
            points = match_points(snap.passages[i], intent)
            if points > 0:
                fused[i] = fused.get(i, 0.0) + INTENT_BONUS * points
        hits: dict[str, Hit] = {}
        for i in sorted(fused, key=lambda i: -fused[i]):
            whole = snap.sections[snap.passages[i].id]
            if whole.id not in hits:
                hits[whole.id] = Hit(whole, fused[i], dense.get(i, 0.0))
            if len(hits) == k:
                break
        hits = list(hits.values())
        return Ranking(hits, max(dense.values(), default=0.0))

    def _dense(self, snap: Snapshot, text: str, stakeholder: str) -> dict[int, float]:
        """Passage index -> cosine similarity, best first."""
        from llama_index.core.vector_stores import MetadataFilter, MetadataFilters

        filters = MetadataFilters(filters=[MetadataFilter(key="stakeholder", value=stakeholder)]) if stakeholder else None
        retriever = snap.vector_index.as_retriever(similarity_top_k=self.settings.candidates, filters=filters)
        try:
            nodes = retriever.retrieve(text)
        except Exception as err:
            if self.settings.chroma_url:
                raise IndexUnavailable(f"the index is unavailable: Chroma server {self.settings.chroma_url} did not answer ({type(err).__name__})") from err
            raise IndexUnavailable(f"the index at {self.store.describe()} cannot be read ({type(err).__name__}); run `lerassist build`") from err
        # llama-index reports exp(-distance); Chroma's cosine distance is 1 - cosine.
        return {snap.by_id[n.node.node_id]: 1.0 + math.log(max(n.score or 1e-9, 1e-9)) for n in nodes if n.node.node_id in snap.by_id}

    def _sparse(self, snap: Snapshot, text: str, allowed: list[int]) -> list[int]:
        query = bm25_tokens(text)
        if not query:
            return []
        scores = snap.bm25.get_scores(query)
        mask = np.full(len(snap.passages), -1.0)
        mask[allowed] = scores[allowed]
        top = np.argsort(-mask)[: self.settings.candidates]
        return [int(i) for i in top if mask[i] > 0]


def whole_sections(passages: list[Passage]) -> dict[str, Passage]:
    """Passage id -> its whole section. Long sections are indexed in parts (each part embeds
    well), but an answer and its citation should see the section's whole list."""
    groups: dict[tuple[str, str], list[Passage]] = {}
    for p in passages:
        groups.setdefault((p.url, p.section), []).append(p)
    out = {}
    for parts in groups.values():
        if len(parts) == 1:
            out[parts[0].id] = parts[0]
            continue
        parts.sort(key=lambda p: int(p.id.rsplit("-", 1)[1]))
        lines: list[str] = []
        for part in parts:
            lines += [line for line in part.text.split("\n") if line not in lines]
        whole = replace(parts[0], id=parts[0].id.rsplit("-", 1)[0], text="\n".join(lines))
        out.update({p.id: whole for p in parts})
    return out


def match_points(p: Passage, intent: Intent) -> int:
    """How many parts of the question's structure this passage matches."""
    section = p.section.lower()
    if intent.aspect in OVERVIEWS:
        return 2 if p.kind != "stakeholder" and intent.aspect in section else 0
    points = 1 if intent.asks_list and p.text.count("\n- ") >= 3 else 0
    if intent.page and (p.kind == intent.page or section.startswith(intent.page) or p.title.lower() == intent.page):
        points += 2
    if intent.spans and p.kind == "stakeholder":
        points += 1
    if intent.role and p.stakeholder == intent.role:
        # Someone who says "I run a workforce board" probably means that group's page, but
        # less surely than someone who names the group.
        points += 1
    if intent.terms and p.kind == "glossary" and p.section in intent.terms:
        points += 2
    if intent.stakeholder:
        if p.stakeholder != intent.stakeholder:
            return points
        points += 1
    if intent.phase and p.phase == intent.phase:
        points += 2
    if intent.action_area and p.action_area == intent.action_area:
        points += 2
    if intent.aspect and section.startswith(intent.aspect):
        points += 2
    return points

"""The three baselines a team would otherwise reach for, answering like an Assistant does.

Each peer has `ask(question) -> Answer`, so the benchmark scores it with exactly the code that
scores lerassist (evaluate.source_rank, facts_met, metrics). A peer's "answer" is its top three
results joined, which hands it every fact those results hold: a flattering stand-in for an answer
composer, stated next to the results. Peers never abstain; their citations are their first
`top_k` results, in rank order, so hit@k means the same for every system.
"""

from __future__ import annotations

from pathlib import Path

import bm25s
import numpy as np

from .content import load_pages, load_passages
from .embedding import Embedder
from .index import embed_text
from .models import Answer, Citation, Passage
from .retrieve import bm25_tokens, passage_document

ANSWER_PASSAGES = 3


def _answer(question: str, ranked: list[tuple[Passage, float]]) -> Answer:
    text = "\n\n".join(p.text for p, _ in ranked[:ANSWER_PASSAGES])
    citations = [
        Citation(n=n, url=p.url, title=p.title, section=p.section, text=p.text, score=round(score, 6))
        for n, (p, score) in enumerate(ranked, start=1)
    ]
    return Answer(question, text, citations, abstained=False)


class BM25Peer:
    """bm25s over the same passages and the same document text and tokens as lerassist's own
    BM25 leg, so the difference it shows is what fusion, intent and composing add."""

    name = "BM25 (bm25s)"

    def __init__(self, content_dir: Path, top_k: int):
        self.passages = load_passages(content_dir)
        self.top_k = top_k
        self.bm25 = bm25s.BM25()
        self.bm25.index([bm25_tokens(passage_document(p)) for p in self.passages], show_progress=False)

    def ask(self, question: str) -> Answer:
        query = bm25_tokens(question)
        scores = self.bm25.get_scores(query) if query else np.zeros(len(self.passages))
        order = np.argsort(-scores, kind="stable")[: self.top_k]
        return _answer(question, [(self.passages[i], float(scores[i])) for i in order])


class DensePeer:
    """Cosine similarity over the same passages, embedded by the same model from the same text
    lerassist's index embeds (title, section, passage): lerassist's dense leg on its own."""

    name = "Dense (MiniLM)"

    def __init__(self, content_dir: Path, top_k: int, embedder: Embedder):
        self.passages = load_passages(content_dir)
        self.top_k = top_k
        self.embedder = embedder
        self.vectors = embedder.embed_documents([embed_text(p.metadata(), p.text) for p in self.passages])

    def ask(self, question: str) -> Answer:
        scores = self.vectors @ np.asarray(self.embedder.embed_query(question), dtype=np.float32)
        order = np.argsort(-scores, kind="stable")[: self.top_k]
        return _answer(question, [(self.passages[i], float(scores[i])) for i in order])


class LlamaIndexPeer:
    """What llama-index does out of the box: one Document per page, its default splitter, an
    in-memory VectorStoreIndex and a retriever with its default similarity_top_k (2). Only the
    embedding model is chosen (the same MiniLM, passed explicitly, so llama-index never resolves
    a remote default); there is no LLM."""

    name = "llama-index defaults"

    def __init__(self, content_dir: Path, embedder: Embedder):
        from llama_index.core import Document, VectorStoreIndex

        embed_model = embedder.as_llama_index()  # also sets llama-index's Settings.llm = None
        documents = [
            Document(
                text="\n\n".join(f"## {s.heading}\n\n{s.body}" for s in page.sections),
                metadata={"title": page.title, "url": page.url},
            )
            for page in load_pages(content_dir)
        ]
        self.retriever = VectorStoreIndex.from_documents(documents, embed_model=embed_model).as_retriever()

    def ask(self, question: str) -> Answer:
        ranked = [
            (Passage(id=n.node.node_id, text=n.node.get_content(), title=n.node.metadata["title"], section="",
                     url=n.node.metadata["url"], kind=""), float(n.score or 0.0))
            for n in self.retriever.retrieve(question)
        ]
        return _answer(question, ranked)

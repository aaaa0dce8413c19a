"""Thumbs up and down on answers, appended to a local JSONL file.

Only what judges the answer is kept (the question, the answer, its cited URLs and the vote): no
name, address, session or browser detail, so the file can be shared to improve the map.
"""

from __future__ import annotations

import json
import threading
from datetime import datetime, timezone
from pathlib import Path

VOTES = ("up", "down", "withdrawn")


class FeedbackLog:
    def __init__(self, path: Path):
        self.path = Path(path)
        # Several people vote at once from the server's threads; one write per line under a lock
        # keeps lines whole.
        self._lock = threading.Lock()

    def record(self, question: str, answer: dict, vote: str) -> dict:
        """`answer` is `Answer.to_dict()`; the URLs kept are those the answer's markers cite."""
        if vote not in VOTES:
            raise ValueError(f"vote must be one of {', '.join(VOTES)}, not {vote!r}")
        cited = [c["url"] for c in answer.get("citations", []) if c.get("used")]
        entry = {
            "time": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "question": question,
            "answer": answer.get("text", ""),
            "cited_urls": list(dict.fromkeys(cited)),
            "vote": vote,
        }
        line = json.dumps(entry, ensure_ascii=False) + "\n"
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as out:
                out.write(line)
        return entry

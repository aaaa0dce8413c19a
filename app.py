"""Serve the chat box and the HTTP API: `python app.py [--host HOST] [--port PORT]`.

The model loads and the index is built or opened here, before the server listens, so the first
person to ask does not wait for either. An index that cannot be opened (missing, damaged, its
Chroma server down, its content broken with no earlier build to fall back on) does not stop the
app: it serves, answers with the reason and what to do (HTTP 503 in the API), and picks the
index up once it is back. Exiting instead would only make a supervisor restart it in a loop.
"""

from __future__ import annotations

import argparse
import logging

import uvicorn

from lerassist.answer import Assistant
from lerassist.api import create_app
from lerassist.content import ContentError
from lerassist.feedback import FeedbackLog
from lerassist.index import IndexUnavailable
from lerassist.service import Service
from lerassist.settings import Settings

log = logging.getLogger("lerassist.app")


def assistant(settings: Settings) -> Assistant:
    try:
        return Assistant(settings)
    except (ContentError, IndexUnavailable) as err:
        # No index could be built; open without building, so every answer says what to do.
        log.error("no usable index: %s", err)
        return Assistant(settings.replace(auto_build=False))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Serve the LER Ecosystem Map assistant (chat and /api/ask).")
    parser.add_argument("--host", help="address to listen on (default: LERASSIST_HOST or 127.0.0.1)")
    parser.add_argument("--port", type=int, help="port to listen on (default: LERASSIST_PORT or 7860)")
    args = parser.parse_args(argv)
    settings = Settings.from_env(host=args.host, port=args.port)
    service = Service(assistant(settings), FeedbackLog(settings.feedback_path))
    uvicorn.run(create_app(service), host=settings.host, port=settings.port)


if __name__ == "__main__":
    main()

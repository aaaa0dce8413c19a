"""The web app: `POST /api/ask` and the chat box, served by one FastAPI app over one Service.

Every error is `{"error": message}` with a message written for a person, so an API client can
show it as is: the same words the chat box shows.
"""

from __future__ import annotations

import asyncio
import json
from concurrent.futures import ThreadPoolExecutor
from functools import partial

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, ValidationError

from .answer import QuestionError
from .index import IndexUnavailable
from .service import Service

EXAMPLE = '{"question": "What is an LER?"}'
FIELD_PROBLEMS = {
    "question": "'question' must be text",
    "stakeholder": "'stakeholder' must be a slug such as 'employers', or left out",
    "history": "'history' must be a list of the earlier questions (text), oldest first",
}


class AskRequest(BaseModel):
    question: str = Field(description="The question; at most LERASSIST_MAX_QUESTION_CHARS characters.")
    # Slug-shaped or refused here: the "unknown stakeholder" message repeats the name it was
    # given, and must never carry markup (or a lone surrogate, which cannot be sent as UTF-8) back.
    stakeholder: str | None = Field(
        None, pattern=r"^\s*[A-Za-z0-9_-]*\s*$", description="Answer from one stakeholder's page only: a slug such as 'employers'."
    )
    history: list[str | dict] | None = Field(
        None, description="The conversation's earlier questions, oldest first, so that 'And funders?' keeps its context."
    )


def create_app(service: Service) -> FastAPI:
    from .ui import mount

    app = FastAPI(title="lerassist", description="Cited answers about the LER Ecosystem Map.")
    # Answers are CPU-bound (mostly the question's embedding): with more computed at once than
    # there are CPUs, every one of them finishes later. The rest wait here, in arrival order.
    workers = ThreadPoolExecutor(service.assistant.settings.answer_workers, thread_name_prefix="answer")

    @app.post(
        "/api/ask",
        openapi_extra={"requestBody": {"required": True, "content": {"application/json": {"schema": AskRequest.model_json_schema()}}}},
    )
    async def ask(request: Request):
        """The answer object of `lerassist ask --json`. The body is read whatever its content
        type (`curl -d` sends a form type), and the answer is computed in a worker thread so a
        slow one never stalls the server."""
        try:
            body = AskRequest.model_validate(json.loads(await request.body()))
        except ValueError as err:
            return _error(400, describe(err))
        try:
            answer = await asyncio.get_running_loop().run_in_executor(
                workers, partial(service.ask, body.question, body.stakeholder, body.history)
            )
        except QuestionError as err:
            return _error(400, str(err))
        except IndexUnavailable as err:
            return _error(503, str(err))
        return answer.to_dict()

    # Mounted last: the UI takes every path the API routes above do not claim.
    return mount(app, service)


def describe(err: ValueError) -> str:
    """Why a request body was refused, in words a person can act on."""
    if not isinstance(err, ValidationError):
        return f"The request body is not valid JSON; send an object such as {EXAMPLE}."
    problems = []
    for error in err.errors():
        loc = error.get("loc", ())
        if not loc:
            return f"The request body must be a JSON object such as {EXAMPLE}."
        problems.append(f"'{loc[0]}' is required" if error["type"] == "missing" else FIELD_PROBLEMS[loc[0]])
    return "Invalid request: " + "; ".join(dict.fromkeys(problems)) + "."


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)

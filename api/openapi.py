"""The OpenAPI document as the API answers, not as FastAPI assumes.

FastAPI documents a 422 as `application/json` with its own error shape, while api/errors.py answers every
refusal as `application/problem+json`; and it knows nothing of what api/guard.py answers before the app
runs. After FastAPI writes the document once, this makes it true:

  - every 4xx and 5xx that is a problem (routes say so with `application/problem+json`, and 422) points
    at one `Problem` schema, RFC 9457's members plus `errors` (the fields a 422 refuses);
  - an operation with a body documents 400 (a body that cannot be read: not UTF-8 JSON, nested deeper
    than the guard allows) and 413 (over the route's cap);
  - an operation that needs a token documents 429 (too many refused tokens from the address).
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from api.errors import PROBLEM_JSON
from api.guard import Limits

__all__ = ["PROBLEM_SCHEMA", "install_openapi"]

PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "description": "RFC 9457 problem details; `errors` lists the refused fields of a 422.",
    "type": "object",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string", "description": "A URI naming the kind of problem"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string", "description": "What was wrong and what would work"},
        "instance": {"type": "string", "description": "The path of the request"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["loc", "msg", "type"],
                "properties": {"loc": {"type": "string"}, "msg": {"type": "string"}, "type": {"type": "string"}},
            },
        },
    },
}
_PROBLEM = {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}}
_METHODS = ("get", "put", "post", "delete", "patch", "options", "head", "trace")


def install_openapi(app: FastAPI, limits: Limits) -> None:
    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            truthful(FastAPI.openapi(app), limits)  # FastAPI keeps the document it wrote in app.openapi_schema
        return app.openapi_schema  # type: ignore[return-value]

    app.openapi = openapi  # type: ignore[method-assign]


def truthful(document: dict[str, Any], limits: Limits) -> None:
    """Rewrite the error responses of `document` in place (see the module's docstring)."""
    components = document.setdefault("components", {}).setdefault("schemas", {})
    components["Problem"] = PROBLEM_SCHEMA
    for name in ("HTTPValidationError", "ValidationError"):  # FastAPI's 422 shape, which is never sent
        components.pop(name, None)
    for path, item in document.get("paths", {}).items():
        for method in _METHODS:
            operation = item.get(method)
            if operation is None:
                continue
            responses = operation.setdefault("responses", {})
            if "requestBody" in operation:
                cap = limits.streamed.get(path, limits.json_body)
                size = f"{cap // 2**20} MiB" if cap >= 2**20 else f"{cap // 1024} KiB"
                responses.setdefault("400", {"description": "The body cannot be read (not UTF-8 JSON, or nested "
                                                            f"deeper than {limits.depth} levels)"})  # fmt: skip
                responses.setdefault("413", {"description": f"The body is over this route's cap of {size}"})
            if operation.get("security"):
                responses.setdefault(
                    "429", {"description": "Too many refused tokens from this address; wait for Retry-After"}
                )
            for code, response in responses.items():
                content = response.get("content") or {}
                if code == "422":
                    response["description"] = "Invalid parameters or body: `errors` lists each refused field"
                if code[0] in "45" and (code == "422" or PROBLEM_JSON in content or not content):
                    response["content"] = _PROBLEM

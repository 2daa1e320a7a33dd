"""The interactive docs (Swagger UI) from files installed with the app: no CDN, no request to the internet.

Swagger UI's script, stylesheet and icon come from the PyPI package fastapi-offline (its `static/`
folder: swagger-ui-dist 5, Apache-2.0, which reads the OpenAPI 3.1 document FastAPI writes), served
under /docs/assets/. FastAPI's own /docs page loads them from a CDN and is turned off (create_app).
Swagger UI's validator badge is off too: it would send the document's URL to validator.swagger.io.

Whether /docs and /openapi.json need a token is `Settings.docs_need_token` (api/guard.py).
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

__all__ = ["ASSETS", "install_docs"]

ASSETS = "/docs/assets"
# The files the page loads; the folder holds a ReDoc bundle too, which is not served.
FILES = ("swagger-ui-bundle.js", "swagger-ui.css", "favicon.png")


def _static() -> Path:
    return Path(str(resources.files("fastapi_offline") / "static"))


class _Assets(StaticFiles):
    """Only the files the page needs, with caching that lets a browser keep them for a day."""

    def file_response(self, full_path, stat_result, scope, status_code=200):  # type: ignore[no-untyped-def]
        response = super().file_response(full_path, stat_result, scope, status_code)
        response.headers.setdefault("Cache-Control", "public, max-age=86400")
        return response

    def lookup_path(self, path: str):  # type: ignore[no-untyped-def]
        if path not in FILES:
            return "", None  # a 404
        return super().lookup_path(path)


def install_docs(app: FastAPI) -> None:
    """GET /docs, and its assets under /docs/assets/, for the app's /openapi.json."""
    app.mount(ASSETS, _Assets(directory=_static()), name="docs-assets")

    @app.get("/docs", include_in_schema=False)
    async def docs(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "").rstrip("/")
        return get_swagger_ui_html(
            openapi_url=f"{root}{app.openapi_url}",
            title=f"{app.title} — API",
            swagger_js_url=f"{root}{ASSETS}/swagger-ui-bundle.js",
            swagger_css_url=f"{root}{ASSETS}/swagger-ui.css",
            swagger_favicon_url=f"{root}{ASSETS}/favicon.png",
            oauth2_redirect_url=None,
            swagger_ui_parameters={"validatorUrl": None, "persistAuthorization": False},
        )

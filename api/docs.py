"""``/docs``: Swagger UI from assets shipped in the package (api/static/swagger-ui, swagger-ui-dist 5.35.0;
see VENDORED.md there), so the page works offline; FastAPI's default loads them from a CDN. ReDoc, which
has no vendored copy, is off."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

SWAGGER_UI_VERSION = "5.35.0"
ASSETS = Path(__file__).parent / "static" / "swagger-ui"
ASSETS_PATH = "/static/swagger-ui"


def install_docs(app: FastAPI) -> None:
    """Serve the vendored assets and the ``/docs`` page that uses them (create the app with docs_url=None)."""
    app.mount(ASSETS_PATH, StaticFiles(directory=ASSETS), name="swagger-ui")

    async def docs(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "").rstrip("/")
        return get_swagger_ui_html(
            openapi_url=root + (app.openapi_url or "/openapi.json"),
            title=f"{app.title} — API docs",
            swagger_js_url=f"{root}{ASSETS_PATH}/swagger-ui-bundle.js?v={SWAGGER_UI_VERSION}",
            swagger_css_url=f"{root}{ASSETS_PATH}/swagger-ui.css?v={SWAGGER_UI_VERSION}",
            swagger_favicon_url=f"{root}{ASSETS_PATH}/favicon-32x32.png",
        )

    app.add_route("/docs", docs, include_in_schema=False)

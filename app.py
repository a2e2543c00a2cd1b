"""One process serves the shop: the web page (Gradio), the chat widget (/widget.js) and the HTTP API
(assistant/api.py, spec at /api/openapi.json).

    python app.py [--host 127.0.0.1] [--port 7860]

On first start it builds the embedded default shop into ./data (or $SHOP_DATA_DIR).
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # no calls home from a self-hosted shop

import gradio as gr  # noqa: E402
import uvicorn  # noqa: E402
from fastapi import FastAPI  # noqa: E402
from fastapi.responses import FileResponse  # noqa: E402

from assistant.api import ApiConfig, build_api  # noqa: E402
from assistant.config import Settings  # noqa: E402
from assistant.engine import Assistant  # noqa: E402
from assistant.page import CSS, build_page  # noqa: E402

WIDGET = Path(__file__).parent / "static" / "widget.js"


def serve_widget(api: FastAPI) -> None:
    """The widget script, from this server: the shop's page needs no CDN (and these machines have no internet)."""

    @api.get("/widget.js", include_in_schema=False)
    def widget() -> FileResponse:
        return FileResponse(WIDGET, media_type="text/javascript", headers={"Cache-Control": "no-cache"})


def build_app(assistant: Assistant, api_config: ApiConfig | None = None, title: str = "Shop assistant") -> FastAPI:
    """The API, the widget script and the chat page on one FastAPI app."""
    config = api_config or ApiConfig.from_env()
    api = build_api(assistant, config)
    serve_widget(api)
    return gr.mount_gradio_app(api, build_page(assistant, title, config.admin_token), path="/", ssr_mode=False, css=CSS)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default=os.environ.get("SHOP_HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("SHOP_PORT", "7860")))
    args = parser.parse_args()
    try:  # a setting or a store the settings cannot serve stops the start with its reason, not a traceback
        settings = Settings.from_env()
        assistant = Assistant.from_settings(settings)
    except ValueError as exc:
        raise SystemExit(f"cannot start: {exc}") from None
    assistant.warm_up()
    app = build_app(assistant, title=settings.shop_name.capitalize())
    print(f"serving shop {assistant.current_shop().version} on http://{args.host}:{args.port}/", flush=True)
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning")


if __name__ == "__main__":
    main()

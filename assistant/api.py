"""The HTTP API, for developers and for the widget. FastAPI serves its OpenAPI spec at /api/openapi.json
(browsable at /api/docs).

    POST /api/chat              {"session_id"?, "message"} -> the reply, its products and the session state
    POST /api/chat/stream       the same as server-sent events: "delta" events with text, then one "reply"
    POST /api/cart              {"session_id", "product_id", "action": "add" | "remove"}: a cart button
    POST /api/compare           {"session_id", "product_ids": two to four ids}: a compare button
    GET  /api/session/{id}      wishes, cart and recent turns;  POST /api/session/{id}/reset starts over
    POST /api/feedback          {"session_id", "turn_id", "rating": 1 | -1, "comment"?}
    GET  /api/search, /api/health;  GET /metrics (Prometheus text format)
    POST /api/admin/reload, /api/admin/ingest   with "Authorization: Bearer $SHOP_ADMIN_TOKEN"

Bodies over `max_body_bytes` get 413, malformed ones 422 with the reason, a client over its rate 429.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator, Literal

from fastapi import Depends, FastAPI, File, Header, HTTPException, Query, Request, UploadFile
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse, Response, StreamingResponse
from pydantic import BaseModel, Field

from assistant import admin as admin_tasks
from assistant import metrics
from assistant.engine import Assistant, Reply, cart_lines
from assistant.factsheet import CartLine, ProductFact
from assistant.filters import ProductFilter
from assistant.ratelimit import RateLimitConfig, RateLimiter
from assistant.retriever import search_faq, search_products
from assistant.sessions import SESSION_ID_PATTERN, SessionBusy, SessionError, new_session_id, valid_session_id
from assistant.shop import Shop

MAX_MESSAGE = 10_000  # characters; the engine reads the first 2,000 and says so
MAX_QUERY = 2_000
SessionId = Field(pattern=SESSION_ID_PATTERN, description="1-64 characters of A-Z a-z 0-9 _ -")


@dataclass
class ApiConfig:
    allowed_origins: list[str] = field(default_factory=list)  # other sites that may embed the widget (CORS)
    admin_token: str | None = None  # None: the admin endpoints refuse everything
    max_body_bytes: int = 64_000
    max_upload_bytes: int = 50_000_000  # an ingested catalog
    rate: RateLimitConfig = field(default_factory=RateLimitConfig)
    # Reverse proxies (their addresses) whose X-Forwarded-For names the shopper; behind one, every request
    # would otherwise come from the proxy and all shoppers would share one rate limit.
    trusted_proxies: list[str] = field(default_factory=list)

    @classmethod
    def from_env(cls) -> "ApiConfig":
        env = os.environ
        origins = [o.strip().rstrip("/") for o in env.get("SHOP_ALLOWED_ORIGINS", "").split(",") if o.strip()]
        rate = RateLimitConfig(per_minute=float(env.get("SHOP_RATE_PER_MINUTE", "30")), burst=int(env.get("SHOP_RATE_BURST", "10")))
        proxies = [p.strip() for p in env.get("SHOP_TRUSTED_PROXIES", "").split(",") if p.strip()]
        return cls(allowed_origins=origins, admin_token=env.get("SHOP_ADMIN_TOKEN") or None, rate=rate, trusted_proxies=proxies)


def client_address(request: Request, trusted_proxies: list[str]) -> str:
    """The shopper's address: the peer, or behind trusted proxies the nearest X-Forwarded-For hop that is not one
    of them (the hops further left are whatever the client claimed)."""
    peer = request.client.host if request.client else "unknown"
    if peer not in trusted_proxies:
        return peer
    hops = [hop.strip() for hop in request.headers.get("x-forwarded-for", "").split(",") if hop.strip()]
    return next((hop for hop in reversed(hops) if hop not in trusted_proxies), peer)


class ChatRequest(BaseModel):
    session_id: str | None = Field(None, pattern=SESSION_ID_PATTERN, description="omit to start a new conversation")
    message: str = Field(max_length=MAX_MESSAGE)


class CartRequest(BaseModel):
    session_id: str = SessionId
    product_id: str = Field(max_length=200)
    action: Literal["add", "remove"] = "add"


class CompareRequest(BaseModel):
    session_id: str = SessionId
    product_ids: list[str] = Field(min_length=2, max_length=4)


class FeedbackRequest(BaseModel):
    session_id: str = SessionId
    turn_id: int
    rating: Literal[1, -1]
    comment: str = Field("", max_length=2_000)


class CartOut(BaseModel):
    lines: list[CartLine]
    total: float
    currency: str


class ChatResponse(BaseModel):
    session_id: str
    turn_id: int | None
    text: str
    action: str
    intent: str
    understood_by: str
    products: list[ProductFact] = Field(description="shown products; `total` is the scorer's total, `parts` its relevance and business terms")
    cart: CartOut
    preferences: dict[str, Any]
    latency_ms: float


class BodyLimit:
    """Refuses request bodies over a size with 413, whether or not the client sent a Content-Length.

    The body is read (up to the limit) before the app sees it, then replayed: an error raised while the
    app itself reads would reach the client as a vague 400."""

    def __init__(self, app: Any, limit: int, upload_limit: int) -> None:
        self.app, self.limit, self.upload_limit = app, limit, upload_limit

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or not scope["path"].startswith("/api/"):
            return await self.app(scope, receive, send)
        limit = self.upload_limit if scope["path"] == "/api/admin/ingest" else self.limit
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            return await too_large(limit)(scope, receive, send)
        messages, seen = [], 0
        while True:
            message = await receive()
            messages.append(message)
            seen += len(message.get("body", b""))
            if seen > limit:
                return await too_large(limit)(scope, receive, send)
            if message["type"] != "http.request" or not message.get("more_body", False):
                break

        async def replay() -> dict:
            return messages.pop(0) if messages else await receive()

        await self.app(scope, replay, send)


def too_large(limit: int) -> JSONResponse:
    return JSONResponse({"detail": f"request body over {limit} bytes"}, status_code=413)


def cart_out(shop: Shop, cart: dict[str, int]) -> CartOut:
    lines = cart_lines(shop, cart)
    return CartOut(lines=lines, total=round(sum(line.subtotal for line in lines), 2), currency=shop.settings.shop_currency)


def chat_response(assistant: Assistant, reply: Reply) -> ChatResponse:
    return ChatResponse(session_id=reply.session_id, turn_id=reply.turn_id, text=reply.text, action=reply.action,
                        intent=reply.intent, understood_by=reply.understood_by,
                        products=reply.products,
                        cart=cart_out(assistant.current_shop(), reply.cart),
                        preferences={k: v for k, v in reply.preferences.items() if v not in (None, [], {})},
                        latency_ms=round(reply.latency_ms, 1))


def sse(event: str, data: Any) -> str:
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


def build_api(assistant: Assistant, config: ApiConfig | None = None) -> FastAPI:
    config = config or ApiConfig.from_env()
    limiter = RateLimiter(config.rate)
    api = FastAPI(title="Shop assistant", version="0.2.0", openapi_url="/api/openapi.json", docs_url="/api/docs",
                  redoc_url=None, description=__doc__)
    api.add_middleware(BodyLimit, limit=config.max_body_bytes, upload_limit=config.max_upload_bytes)
    if config.allowed_origins:
        api.add_middleware(CORSMiddleware, allow_origins=config.allowed_origins, allow_methods=["GET", "POST"],
                           allow_headers=["Content-Type"], max_age=600)

    @api.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, error: RequestValidationError) -> JSONResponse:
        """422 with the reasons but not the values: a rejected field is never echoed back (markup, huge text)."""
        reasons = [f"{'.'.join(str(part) for part in e['loc'])}: {e['msg']}" for e in error.errors()[:10]]
        return JSONResponse({"detail": "; ".join(reasons) or "invalid request"}, status_code=422)

    def rate_limited(request: Request) -> None:
        wait = limiter.take(client_address(request, config.trusted_proxies))
        if wait:
            seconds = max(1, math.ceil(wait))
            raise HTTPException(429, f"too many requests; try again in {seconds} s", headers={"Retry-After": str(seconds)})

    def admin(authorization: str = Header("", description="Bearer $SHOP_ADMIN_TOKEN")) -> None:
        try:
            admin_tasks.check_token(config.admin_token, authorization.removeprefix("Bearer "))
        except admin_tasks.AdminRefused as refused:
            raise HTTPException(refused.status, str(refused), headers={"WWW-Authenticate": "Bearer"}) from refused

    def known_session(session_id: str) -> str:
        if not valid_session_id(session_id):
            raise HTTPException(422, "a session id is 1-64 characters of A-Z a-z 0-9 _ -")
        if not assistant.sessions.exists(session_id):
            raise HTTPException(404, f"unknown session {session_id!r}")
        return session_id

    def run_turn(session_id: str, words: str) -> ChatResponse:
        try:
            return chat_response(assistant, assistant.reply(session_id, words))
        except SessionError as error:
            raise HTTPException(422, str(error)) from error
        except SessionBusy as error:
            raise HTTPException(409, str(error)) from error

    def press(session_id: str, button: str, product_ids: list[str]) -> ChatResponse:
        try:
            return chat_response(assistant, assistant.press(session_id, button, product_ids))
        except LookupError as error:
            raise HTTPException(404, str(error)) from error
        except ValueError as error:  # SessionError too
            raise HTTPException(422, str(error)) from error
        except SessionBusy as error:
            raise HTTPException(409, str(error)) from error

    @api.get("/api/health")
    def health() -> dict:
        shop = assistant.current_shop()
        return {"status": "ok", "version": shop.version, "products": len(shop.products), "faq": len(shop.faq)}

    @api.get("/metrics", include_in_schema=False)
    def prometheus() -> Response:
        body, content_type = metrics.exposition()
        return Response(body, media_type=content_type)

    @api.post("/api/chat", response_model=ChatResponse, dependencies=[Depends(rate_limited)])
    def chat(body: ChatRequest) -> ChatResponse:
        return run_turn(body.session_id or new_session_id(), body.message)

    @api.post("/api/chat/stream", dependencies=[Depends(rate_limited)],
              responses={200: {"content": {"text/event-stream": {}},
                               "description": "`delta` events ({\"text\"}), then one `reply` event (a ChatResponse)"}})
    def chat_stream(body: ChatRequest) -> StreamingResponse:
        session_id = body.session_id or new_session_id()

        def events() -> Iterator[str]:
            try:
                for item in assistant.stream(session_id, body.message):
                    if isinstance(item, Reply):
                        yield sse("reply", chat_response(assistant, item).model_dump())
                    else:
                        yield sse("delta", {"text": item})
            except (SessionError, SessionBusy) as error:
                yield sse("error", {"detail": str(error)})

        return StreamingResponse(events(), media_type="text/event-stream", headers={"Cache-Control": "no-store"})

    @api.post("/api/cart", response_model=ChatResponse, dependencies=[Depends(rate_limited)])
    def cart(body: CartRequest) -> ChatResponse:
        return press(body.session_id, body.action, [body.product_id])

    @api.post("/api/compare", response_model=ChatResponse, dependencies=[Depends(rate_limited)])
    def compare(body: CompareRequest) -> ChatResponse:
        return press(body.session_id, "compare", body.product_ids)

    @api.get("/api/session/{session_id}")
    def session(session_id: str = Depends(known_session)) -> dict:
        state = assistant.sessions.load(session_id)
        shop = assistant.current_shop()
        return {"session_id": session_id,
                "preferences": {k: v for k, v in vars(state.preferences).items() if v not in (None, [], {})},
                "shown": list(state.shown), "cart": cart_out(shop, state.cart).model_dump(),
                "turns": assistant.sessions.history(session_id)}

    @api.post("/api/session/{session_id}/reset")
    def reset(session_id: str = Depends(known_session)) -> dict:
        assistant.sessions.reset(session_id)
        return {"session_id": session_id, "reset": True}

    @api.post("/api/feedback")
    def feedback(body: FeedbackRequest) -> dict:
        try:
            feedback_id = assistant.sessions.add_feedback(body.session_id, body.turn_id, body.rating, body.comment)
        except SessionError as error:
            status = 404 if "unknown session" in str(error) or "does not exist" in str(error) else 422
            raise HTTPException(status, str(error)) from error
        return {"feedback_id": feedback_id}

    @api.get("/api/search")
    def search(
        q: str = Query("", max_length=MAX_QUERY),
        k: int = Query(10, ge=1, le=50),
        min_price: float | None = None,
        max_price: float | None = None,
        category: list[str] = Query(default_factory=list),
        brand: list[str] = Query(default_factory=list),
        exclude_brand: list[str] = Query(default_factory=list),
        in_stock: bool = False,
    ) -> dict:
        shop = assistant.current_shop()
        filters = ProductFilter(min_price=min_price, max_price=max_price, categories=category, brands=brand,
                                exclude_brands=exclude_brand, in_stock=in_stock)
        return {"version": shop.version, "products": product_rows(shop, q, filters, k), "faq": faq_rows(shop, q, 3)}

    @api.post("/api/admin/reload", dependencies=[Depends(admin)])
    def reload() -> dict:
        try:
            shop = admin_tasks.reload(assistant.shop_source)
        except admin_tasks.AdminRefused as refused:
            raise HTTPException(refused.status, str(refused)) from refused
        return {"version": shop.version, "products": len(shop.products), "faq": len(shop.faq)}

    @api.post("/api/admin/ingest", dependencies=[Depends(admin)])
    def ingest(catalog: UploadFile | None = File(None), faq: UploadFile | None = File(None),
               orders: UploadFile | None = File(None), replace: bool = Query(False)) -> JSONResponse:
        uploads = {"catalog": catalog, "faq": faq, "orders": orders}
        with tempfile.TemporaryDirectory() as folder:
            paths = {}
            for kind, upload in uploads.items():
                if upload is not None:
                    suffix = Path(upload.filename or "").suffix.lower()[:10] or ".csv"  # the loaders go by suffix
                    paths[kind] = Path(folder) / f"{kind}{suffix}"
                    paths[kind].write_bytes(upload.file.read())
            try:
                report = admin_tasks.ingest(assistant.shop_source, paths, replace)
            except admin_tasks.AdminRefused as refused:
                raise HTTPException(refused.status, str(refused)) from refused
        return JSONResponse({"version": report.version, "served": assistant.current_shop().version, "report": report.lines()},
                            status_code=200 if report.version else 422)

    return api


def product_rows(shop: Shop, query: str, filters: ProductFilter, k: int) -> list[dict]:
    rows = []
    for hit in search_products(shop, query[:MAX_QUERY], filters, k=k):
        product = shop.by_id[hit.id]
        rows.append({
            "id": product.id, "title": product.title, "brand": product.brand, "category": product.category,
            "price": product.price, "currency": product.currency, "stock": product.stock, "rating": product.rating,
            "review_count": product.review_count, "score": round(hit.score, 5),
            "dense_rank": hit.dense_rank, "lexical_rank": hit.lexical_rank,
        })
    return rows


def faq_rows(shop: Shop, query: str, k: int) -> list[dict]:
    return [{"id": h.id, "question": shop.faq_by_id[h.id].question, "answer": shop.faq_by_id[h.id].answer,
             "score": round(h.score, 5)} for h in search_faq(shop, query[:MAX_QUERY], k=k)]

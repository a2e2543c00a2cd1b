"""One process serves the shop: the web page (Gradio) and the HTTP API (FastAPI).

    python app.py [--host 127.0.0.1] [--port 7860]

On first start it builds the embedded default shop into ./data (or $SHOP_DATA_DIR). The page is
a product and help search over the shop for now; the conversation comes with the dialogue engine.
"""

from __future__ import annotations

import argparse
import os

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # no calls home from a self-hosted shop

import gradio as gr  # noqa: E402
import uvicorn  # noqa: E402
from fastapi import FastAPI, Query  # noqa: E402

from assistant.config import Settings  # noqa: E402
from assistant.filters import ProductFilter  # noqa: E402
from assistant.retriever import search_faq, search_products  # noqa: E402
from assistant.shop import LiveShop, Shop  # noqa: E402

MAX_QUERY = 2_000


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


def build_api(live: LiveShop) -> FastAPI:
    api = FastAPI(title="Shop assistant", version="0.1.0")

    @api.get("/api/health")
    def health() -> dict:
        shop = live.get()
        return {"status": "ok", "version": shop.version, "products": len(shop.products), "faq": len(shop.faq)}

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
        shop = live.get()
        filters = ProductFilter(min_price=min_price, max_price=max_price, categories=category, brands=brand,
                                exclude_brands=exclude_brand, in_stock=in_stock)
        return {"version": shop.version, "products": product_rows(shop, q, filters, k), "faq": faq_rows(shop, q, 3)}

    return api


def build_page(live: LiveShop) -> gr.Blocks:
    categories = sorted({p.category for p in live.get().products})
    with gr.Blocks(title="Shop assistant", analytics_enabled=False) as page:
        gr.Markdown("## Shop search\nFind products and answers from this shop's catalog and help pages.")
        with gr.Row():
            query = gr.Textbox(label="What are you looking for?", placeholder="waterproof trail shoes under $150", scale=4)
            button = gr.Button("Search", variant="primary", scale=1)
        with gr.Row():
            category = gr.Dropdown(["any"] + categories, value="any", label="Category")
            max_price = gr.Number(label="Max price", value=None)
            in_stock = gr.Checkbox(label="In stock only", value=True)
        products = gr.Dataframe(headers=["title", "brand", "price", "stock", "rating"], label="Products", interactive=False)
        answers = gr.Dataframe(headers=["question", "answer"], label="Help", interactive=False, wrap=True)

        def run(text: str, cat: str, price: float | None, stock_only: bool) -> tuple[list[list], list[list]]:
            shop = live.get()
            filters = ProductFilter(max_price=price or None, categories=[] if cat == "any" else [cat], in_stock=stock_only)
            rows = product_rows(shop, text or "", filters, 10)
            found = [[r["title"], r["brand"], f"{r['price']:.2f} {r['currency']}", r["stock"], r["rating"]] for r in rows]
            return found, [[r["question"], r["answer"]] for r in faq_rows(shop, text or "", 2)]

        for trigger in (button.click, query.submit):
            trigger(run, [query, category, max_price, in_stock], [products, answers])
    return page


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default=os.environ.get("SHOP_HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("SHOP_PORT", "7860")))
    args = parser.parse_args()
    live = LiveShop(Settings.from_env())
    app = gr.mount_gradio_app(build_api(live), build_page(live), path="/", ssr_mode=False)
    print(f"serving shop {live.get().version} on http://{args.host}:{args.port}/", flush=True)
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning")


if __name__ == "__main__":
    main()

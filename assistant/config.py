"""Settings of a running assistant, read once from the environment (all have working defaults)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

# Approximate rates into USD for catalogs priced in other currencies; a shop overrides them with
# SHOP_RATES="EUR=1.08,GBP=1.27" (value of one unit in the shop currency).
DEFAULT_RATES_TO_USD = {"EUR": 1.08, "GBP": 1.27, "CAD": 0.73, "AUD": 0.66, "JPY": 0.0067, "CHF": 1.13, "SEK": 0.095, "MXN": 0.058}


def parse_rates(text: str) -> dict[str, float]:
    rates = {}
    for part in text.split(","):
        if "=" in part:
            code, value = part.split("=", 1)
            rates[code.strip().upper()] = float(value)
    return rates


@dataclass
class RetrievalConfig:
    candidates: int = 50  # per retriever, before fusion
    rrf_k: int = 60  # reciprocal-rank-fusion constant (Cormack et al. 2009)
    dense_weight: float = 1.0
    lexical_weight: float = 1.0


@dataclass
class Settings:
    data_dir: Path = Path("data")
    chroma_host: str | None = None  # set: use a ChromaDB server instead of the on-disk client
    chroma_port: int = 8000
    shop_currency: str = "USD"
    rates: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_RATES_TO_USD))
    retrieval: RetrievalConfig = field(default_factory=RetrievalConfig)
    keep_versions: int = 3  # old store versions kept for processes still serving them
    shop_name: str = "our shop"  # how the assistant names the shop in replies

    @classmethod
    def from_env(cls) -> "Settings":
        env = os.environ
        settings = cls(
            data_dir=Path(env.get("SHOP_DATA_DIR", "data")),
            chroma_host=env.get("SHOP_CHROMA_HOST") or None,
            chroma_port=int(env.get("SHOP_CHROMA_PORT", "8000")),
            shop_currency=env.get("SHOP_CURRENCY", "USD").upper(),
            shop_name=env.get("SHOP_NAME", "our shop"),
        )
        if settings.shop_currency != "USD":
            settings.rates = {}  # the defaults are into USD; another shop currency brings its own
        if env.get("SHOP_RATES"):
            settings.rates.update(parse_rates(env["SHOP_RATES"]))
        return settings

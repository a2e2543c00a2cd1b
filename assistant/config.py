"""Settings of a running assistant, read once from the environment (all have working defaults)."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

# Approximate rates into USD for catalogs priced in other currencies; a shop overrides them with
# SHOP_RATES="EUR=1.08,GBP=1.27" (value of one unit in the shop currency).
DEFAULT_RATES_TO_USD = {"EUR": 1.08, "GBP": 1.27, "CAD": 0.73, "AUD": 0.66, "JPY": 0.0067, "CHF": 1.13, "SEK": 0.095, "MXN": 0.058}


def parse_rates(text: str) -> dict[str, float]:
    """SHOP_RATES="EUR=1.08,GBP=1.27": a malformed pair stops the start with a message, not a KeyError later."""
    rates = {}
    for part in filter(str.strip, text.split(",")):
        code, _, value = part.partition("=")
        try:
            rate = float(value)
        except ValueError:
            rate = 0.0
        if not re.fullmatch(r"[A-Za-z]{3}", code.strip()) or not rate > 0:
            raise ValueError(f"SHOP_RATES: {part.strip()!r} is not CODE=rate (e.g. EUR=1.08, the value of one unit in SHOP_CURRENCY)")
        rates[code.strip().upper()] = rate
    return rates


def currency_problem(currencies: set[str], settings: "Settings") -> str | None:
    """Why prices in `currencies` cannot be compared in the shop currency, or None when they can."""
    missing = sorted(c for c in currencies if c != settings.shop_currency and c not in settings.rates)
    if not missing:
        return None
    return (f"the catalog has prices in {', '.join(missing)} but SHOP_CURRENCY is {settings.shop_currency} and SHOP_RATES "
            f"has no rate for {', '.join(missing)}: set SHOP_CURRENCY={missing[0]} if that is the shop's currency, "
            f"or SHOP_RATES=\"{missing[0]}=<value of one {missing[0]} in {settings.shop_currency}>\"")


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
            shop_currency=(env.get("SHOP_CURRENCY") or "USD").strip().upper(),
            shop_name=env.get("SHOP_NAME", "our shop"),
        )
        if not re.fullmatch(r"[A-Z]{3}", settings.shop_currency):
            raise ValueError(f"SHOP_CURRENCY must be a three-letter currency code such as USD, EUR or INR, not {settings.shop_currency!r}")
        if settings.shop_currency != "USD":
            settings.rates = {}  # the defaults are into USD; another shop currency brings its own
        if env.get("SHOP_RATES"):
            settings.rates.update(parse_rates(env["SHOP_RATES"]))
        return settings

"""Money as shoppers write it and as replies show it, in whatever currency the shop sets.

One table of signs and words per currency serves the rule parser (budgets), the replies (prices) and the
guard (every amount in a reply must be on the fact sheet), so all three read the same forms.
"""

from __future__ import annotations

import re

SIGNS = {"$": "USD", "€": "EUR", "£": "GBP", "₹": "INR", "¥": "JPY"}
WORDS = {"usd": "USD", "dollar": "USD", "dollars": "USD", "bucks": "USD", "buck": "USD",
         "eur": "EUR", "euro": "EUR", "euros": "EUR",
         "gbp": "GBP", "pound": "GBP", "pounds": "GBP", "quid": "GBP",
         "inr": "INR", "rs": "INR", "rupee": "INR", "rupees": "INR",
         "jpy": "JPY", "yen": "JPY", "cad": "CAD", "aud": "AUD", "nzd": "NZD", "sgd": "SGD", "hkd": "HKD", "mxn": "MXN",
         "chf": "CHF", "franc": "CHF", "francs": "CHF", "sek": "SEK", "nok": "NOK", "dkk": "DKK", "kr": "NOK",
         "krone": "NOK", "kroner": "NOK", "kronor": "SEK", "krona": "SEK", "pln": "PLN", "zloty": "PLN", "czk": "CZK",
         "cny": "CNY", "rmb": "CNY", "yuan": "CNY", "brl": "BRL", "zar": "ZAR", "aed": "AED", "dirham": "AED",
         "dirhams": "AED"}
DOLLAR_CURRENCIES = {"USD", "CAD", "AUD", "NZD", "SGD", "HKD", "MXN"}  # where "$" is the shop's own sign
SIGN_RE = "[" + "".join(SIGNS) + "]"
WORD_RE = "|".join(sorted(WORDS, key=len, reverse=True))
# A word written before the number: "rs 800", "inr 500", "eur 20" (never "dollars 5").
PREFIX_RE = r"(?:rs\.?|inr|usd|eur|gbp)"


def code_of(text: str, shop_currency: str) -> str:
    """The currency an amount as written is in: its sign or word, else the shop's own."""
    lowered = text.lower()
    for sign, code in SIGNS.items():
        if sign in lowered:
            return shop_currency if sign == "$" and shop_currency in DOLLAR_CURRENCIES else code
    for word in re.findall(r"[a-z]+", lowered):
        if word in WORDS:
            code = WORDS[word]
            return shop_currency if code == "USD" and word in ("bucks", "buck") and shop_currency in DOLLAR_CURRENCIES else code
    return shop_currency


def in_shop_currency(amount: float, code: str, shop_currency: str, rates: dict[str, float]) -> float | None:
    """An amount converted with the configured rate (value of one unit in the shop currency); None without one."""
    if code == shop_currency:
        return amount
    rate = rates.get(code)
    return round(amount * rate, 2) if rate else None


def money(amount: float, currency: str = "USD") -> str:
    code = currency.upper()
    symbol = next((sign for sign, c in SIGNS.items() if c == code), None)
    number = f"{amount:,.0f}" if float(amount).is_integer() else f"{amount:,.2f}"
    return f"{symbol}{number}" if symbol else f"{number} {code}"

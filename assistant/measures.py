"""Amounts with units, in a shopper's words and in a product's text: "1 kg", "5 litre", "65 inch", "9 watt".

A pack size or a screen size is rarely a typed attribute in a real catalog: it sits in a title ("Tata Salt 1 kg",
"Mount for 37" - 65" TVs") or a free-text column ("500 gm"). Units are compared by dimension, so "1 kg" meets
"1000 g" and "5 l" meets "5 Litre"; a range in the product's text ("37" - 65"") meets every amount inside it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

# spelling -> (dimension, factor to the dimension's base unit). Bare "in", "m" and "pounds" are left out on purpose:
# "100 in black", "5 m" (million?) and "50 pounds" (money) say something else too often.
UNITS: dict[str, tuple[str, float]] = {}
for names, dimension, factor in [
    ("mg", "mass", 0.001), ("g gm gms gr gram grams gramme grammes", "mass", 1.0),
    ("kg kgs kilo kilos kilogram kilograms", "mass", 1000.0), ("oz ounce ounces", "mass", 28.35), ("lb lbs", "mass", 453.6),
    ("ml mls millilitre millilitres milliliter milliliters", "volume", 1.0), ("cl", "volume", 10.0),
    ("l ltr ltrs litre litres liter liters lt", "volume", 1000.0), ("gal gallon gallons", "volume", 3785.0),
    ("mm", "length", 1.0), ("cm", "length", 10.0), ("inch inches \"", "length", 25.4), ("ft feet foot", "length", 304.8),
    ("w watt watts", "power", 1.0), ("kw", "power", 1000.0), ("v volt volts", "voltage", 1.0), ("mah", "charge", 1.0),
    ("mb", "data", 0.001), ("gb", "data", 1.0), ("tb", "data", 1000.0), ("mp megapixel megapixels", "pixels", 1.0),
    ("hz", "frequency", 1.0), ("khz", "frequency", 1000.0), ("ton tons tonne", "capacity", 1.0),
]:
    for name in names.split():
        UNITS[name] = (dimension, factor)

_UNIT = "|".join(re.escape(u) for u in sorted(UNITS, key=len, reverse=True))
_NUMBER = r"(\d+(?:[.,]\d+)?)"
AMOUNT_RE = re.compile(rf"(?<![\w.]){_NUMBER}\s*-?\s*({_UNIT})(?!\w)", re.I)
NETWORK_RE = re.compile(r"[2-5]g", re.I)  # "4g", "5G": a mobile network, not grams
BOUND_RE = re.compile(r"\b(?:(?P<max>under|below|less than|up to|upto|at most|max(?:imum)?|within)"
                      r"|(?P<min>over|above|more than|at least|min(?:imum)?))\s*$", re.I)
# "37" - 65"", "7" to 12.1"", "5-13 kg": the first unit may be left out.
RANGE_RE = re.compile(rf"(?<![\w.]){_NUMBER}\s*(?:{_UNIT})?\s*(?:-|–|to)\s*{_NUMBER}\s*({_UNIT})(?!\w)", re.I)
INCH, QUOTE = "inch", '"'  # 65" is said "65 inch"
TOLERANCE = 0.02  # "64.5 inch" is not "65 inch", but rounding in a title ("1.0 kg") must not miss


@dataclass(frozen=True)
class Measure:
    dimension: str
    low: float  # in the dimension's base unit
    high: float  # == low for one amount

    def meets(self, wish: "Measure") -> bool:
        """Whether this amount (or range) of a product's lies within what was wished for."""
        slack = max(wish.low, wish.high if wish.high != float("inf") else wish.low) * TOLERANCE
        return self.dimension == wish.dimension and self.low - slack <= wish.high and wish.low <= self.high + slack


def _number(text: str) -> float:
    return float(text.replace(",", "."))


def amounts(text: str) -> list[tuple[Measure, tuple[int, int], str]]:
    """Each amount with a unit in the text: (measure, span with any "under"/"at least" before it, the words as said,
    normalised: "1 kg", "under 2 kg")."""
    found = []
    for m in AMOUNT_RE.finditer(text):
        if NETWORK_RE.fullmatch(m.group()):
            continue
        unit = m.group(2).lower()
        dimension, factor = UNITS[unit]
        value = _number(m.group(1)) * factor
        said = f"{m.group(1)} {INCH if unit == QUOTE else unit}"
        low, high, start = value, value, m.start()
        if bound := BOUND_RE.search(text[max(0, m.start() - 12):m.start()]):
            low, high = (0.0, value) if bound.group("max") else (value, float("inf"))
            said = f"{'under' if bound.group('max') else 'over'} {said}"
            start -= len(bound.group())
        found.append((Measure(dimension, low, high), (start, m.end()), said))
    return found


def wished(said: str) -> Measure | None:
    """The measure of a wish kept as words ("1 kg")."""
    found = amounts(said)
    return found[0][0] if found else None


@lru_cache(maxsize=1 << 16)
def in_text(text: str) -> tuple[Measure, ...]:
    """Every amount and range a product's text states."""
    found = [m for m, _, _ in amounts(text)]
    for m in RANGE_RE.finditer(text):
        dimension, factor = UNITS[m.group(3).lower()]
        low, high = sorted((_number(m.group(1)) * factor, _number(m.group(2)) * factor))
        found.append(Measure(dimension, low, high))
    return tuple(found)


def has(text: str, said: str) -> bool:
    """Whether a product's text states the amount wished for (in any unit of the same dimension)."""
    wish = wished(said)
    return wish is not None and any(m.meets(wish) for m in in_text(text))


def merge(old: list[str], new: list[str]) -> list[str]:
    """A later amount of the same dimension replaces the earlier one ("2 kg" after "1 kg")."""
    dimensions = {w.dimension for w in map(wished, new) if w}
    kept = [s for s in old if (w := wished(s)) is None or w.dimension not in dimensions]
    return list(dict.fromkeys(kept + new))

"""What a shop's customers can name: categories, brands, attributes and their values, model numbers.

Everything is read from the catalog, so the rule-based parser (`assistant.rules`) works for any shop.
The only built-in knowledge is generic shop language: a small synonym table ("sneakers" -> the shoe
category), unit spellings ("gigs" -> gb) and the words used to spell-correct customer messages.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from functools import lru_cache

from assistant.lexical import edit_distance_1, fold, head_words, kind_index, kind_words, stem, tokenize
from assistant.models import MissingModel, minilm_path
from assistant.state import Preferences
from knowledge.schema import Product

# Generic shop words -> a fragment of the category name they mean. Only categories that exist are used.
CATEGORY_SYNONYMS: dict[str, tuple[str, ...]] = {
    "shoe": ("shoe", "shoes", "sneaker", "sneakers", "trainers", "kicks", "runners", "zapatillas", "zapatos",
             "chaussures", "baskets", "schuhe", "laufschuhe", "scarpe"),
    "headphone": ("headphone", "earbuds", "earbud", "buds", "cans", "earphones", "headset", "auriculares", "casque",
                  "kopfhörer"),
    "laptop": ("notebook", "ultrabook", "computer", "macbook", "chromebook", "lappy", "portátil", "ordinateur"),
    "smartphone": ("phone", "phones", "mobile", "cell", "cellphone", "móvil", "téléphone"),
    "accessor": ("charger", "chargers", "case", "cases", "phone case", "cable", "cables", "power bank",
                 "battery pack", "portable charger", "screen protector"),
    "coffee": ("coffee machine", "espresso machine", "coffee maker", "coffee grinder", "french press", "cafetera"),
    "backpack": ("rucksack", "bag", "bags", "daypack", "knapsack", "mochila", "sac à dos", "rucksäcke"),
    "jacket": ("coat", "coats", "parka", "rain shell", "raincoat", "windbreaker", "anorak", "chaqueta", "veste",
               "jacke"),
    "cookware": ("pan", "pans", "pot", "pots", "skillet", "frying pan", "knife", "knives", "dutch oven", "saucepan"),
    "skincare": ("moisturizer", "moisturiser", "sunscreen", "serum", "cleanser", "lotion", "face cream", "night cream",
                 "spf"),
    "toy": ("toy", "lego", "puzzle", "puzzles", "plushie", "plush", "board game", "drone", "building blocks", "juguete",
            "jouet"),
    "watch": ("watch", "watches", "fitness tracker", "activity tracker", "smart watch", "reloj", "montre"),
}
# Spoken forms of boolean attributes (attribute name -> extra phrases); unknown attributes are skipped.
FLAG_SYNONYMS: dict[str, tuple[str, ...]] = {
    "noise_cancelling": ("anc", "noise canceling", "noise cancellation", "noise canceling"),
    "wireless": ("bluetooth", "cordless"),
    "waterproof": ("water proof", "rainproof"),
    "microphone": ("mic",),
    "heart_rate": ("heart rate monitor", "hr monitor"),
    "fragrance_free": ("unscented", "no fragrance"),
    "induction_ready": ("induction",),
    "hood": ("hooded",),
    "nonstick": ("non stick",),
    "gps": ("built-in gps",),
    "carbon_plate": ("carbon plated", "carbon-plated", "carbon plate", "plated"),
    "grinder_built_in": ("with a grinder", "with grinder", "built in grinder", "built-in grinder", "integrated grinder"),
    "hydration_compatible": ("water bladder", "hydration bladder", "hydration reservoir", "hydration"),
    "dishwasher_safe": ("dishwasher-safe",),
}
# Spoken forms that mean a boolean attribute is off ("wired" headphones are not wireless).
FLAG_OFF_SYNONYMS: dict[str, tuple[str, ...]] = {
    "wireless": ("wired", "corded"),
}
# Unit suffix of an attribute name -> how people write it.
UNITS: dict[str, tuple[str, ...]] = {
    "gb": ("gb", "gig", "gigs", "gigabyte", "gigabytes"),
    "tb": ("tb", "terabyte", "terabytes"),
    "g": ("g", "gr", "gram", "grams"),
    "kg": ("kg", "kilo", "kilos", "kilogram", "kilograms"),
    "hours": ("h", "hr", "hrs", "hour", "hours"),
    "in": ("in", "inch", "inches", '"'),
    "l": ("l", "liter", "liters", "litre", "litres"),
    "ml": ("ml",), "mm": ("mm",), "cm": ("cm",), "m": ("m", "meter", "meters", "metre", "metres"),
    "mah": ("mah",), "mp": ("mp", "megapixel", "megapixels"), "mph": ("mph",), "ft": ("ft", "feet", "foot"),
    "days": ("day", "days"), "minutes": ("min", "mins", "minute", "minutes"), "bar": ("bar",),
    "ohm": ("ohm", "ohms"), "f": ("f", "°f"), "cups": ("cup", "cups"), "w": ("w", "watt", "watts"),
}
# Larger units people use for the same quantity: (unit, factor to the attribute's unit).
CONVERSIONS: dict[str, list[tuple[str, float]]] = {"gb": [("tb", 1024.0)], "g": [("kg", 1000.0)], "ml": [("l", 1000.0)]}
# Words that name a numeric attribute without being its name.
BASE_SYNONYMS: dict[str, tuple[str, ...]] = {
    "weight": ("weighs", "weighing", "light", "lighter", "heavy", "heavier"),
    "battery": ("lasts", "runtime", "charge"),
    "screen": ("display",),
    "storage": ("ssd", "space", "internal"),  # a phone's "internal memory" is its storage
    "ram": ("memory",),
    "wattage": ("w", "watt", "watts"),
}
# Other words for attribute values; also for values too common to be read alone ("set" only as "cookware set").
VALUE_SYNONYMS: dict[str, tuple[str, ...]] = {
    "women": ("womens", "woman", "ladies", "female"),
    "chromeos": ("chromebook", "chrome os"),
    "in-ear": ("in ear", "buds", "earbuds", "earbud"),
    "power bank": ("battery pack", "portable charger", "portable battery"),
    "moisturizer": ("moisturiser", "night cream", "day cream", "face cream"),
    "skillet": ("frying pan", "fry pan"),
    "building set": ("building blocks", "construction set"),
    "set": ("cookware set", "pots and pans set", "pan set"),
    "men": ("mens", "male"),
    "gray": ("grey",),
}
# A text attribute with more distinct values than this ("quantity": "500 gm", "1 kg", "2 x 1 L", ...) is free text:
# it ranks (the retriever reads it), it is never a hard filter a word of the shopper's turns on.
MAX_FILTER_VALUES = 60
# Attribute values too common as ordinary words to be read as a wish.
VALUE_STOP = {"all", "none", "normal", "other", "set", "clear", "yes", "no", "standard", "regular", "basic", "one",
              "press", "bank", "power", "control", "kit", "game", "toy", "car", "oven", "glass"}
# Frequent shop-conversation words: spell-corrected like catalog words ("refnud" -> "refund").
GENERAL_WORDS = """refund refunds refunded return returns returned returning exchange shipping shipment delivery deliveries
deliver delivered cancel cancellation cancellations cancelled canceling cancelling invoice invoices receipt payment
payments paypal warranty guarantee password account address order orders purchase package parcel track tracking status
arrive cheaper cheapest expensive inexpensive affordable compare recommend between human person agent representative
customer service support hello thanks please international discount coupon promo voucher newsletter unsubscribe
subscribe subscription privacy damaged defective broken missing complaint reclamation claim feedback review lighter
premium checkout remove basket change modify update delete create register registration signup login method methods
options available budget under below dollars euros pounds hundred thousand twenty thirty forty fifty sixty seventy
eighty ninety eleven twelve fifteen compensation compensations reimburse reimbursed reimbursement reimbursements
restitution rebate rebates rebating penalties early assistance assistant operator somebody someone problem issue error
contact speak talk information details personal period periods profile articles products several acquire battery
weight storage memory screen hours grams inches waterproof wireless bluetooth charger headphones sneakers trainers
earbuds laptop notebook backpack rucksack jacket sunscreen moisturizer cleanser puzzle watch tracker""".split()
# Fallback guard when no English word list is installed: ordinary words one edit away from common shop words.
COMMON_WORDS = frozenset("""there these those where which while white whole would could should about above after again
among being below bring brought called cannot check close comes doing every first found given going great having heard
house issue items later least leave liked lines looks makes maybe means might money months never night other place
plans point right shall since small sound start state still taken thing think third three times today until using
value watch weeks whose wrong years yours stuff email kinds price prices sizes pairs share sells stock store stores
ships shops model models rated rates cards phone phones sorry style story ready helps wants worth lives gives notes
total inside range shopping allow trying charges changing write table contract costs build window video weather cater
balance extensive match commuter light skilled shows drive hover spare prone short sports sounds""".split())

NUMBER_WORDS = {w: i for i, w in enumerate("zero one two three four five six seven eight nine ten eleven twelve thirteen "
                                           "fourteen fifteen sixteen seventeen eighteen nineteen".split())}
NUMBER_WORDS |= {w: 20 + 10 * i for i, w in enumerate("twenty thirty forty fifty sixty seventy eighty ninety".split())}
_W = "(?:" + "|".join(sorted(NUMBER_WORDS, key=len, reverse=True)) + "|hundred|thousand|grand)"
# "a hundred", "two hundred and fifty", "twenty-five"; "and" joins only after a scale word.
NUMBER_WORDS_RE = re.compile(rf"\b(?:an?\s+(?=hundred|thousand|grand))?{_W}(?:(?:(?<=hundred)|(?<=thousand))\s+and\s+{_W}|"
                             rf"[\s-]+{_W})*\b")
# A lone "one".."nine" stays a word ("the second one", "first two") unless a unit or currency follows.
UNIT_AFTER_RE = re.compile(r"\s*(?:dollars?|bucks|euros?|pounds?|usd|years?|yrs?|hours?|gb|grams?|inch)")


def spelled_numbers(text: str) -> str:
    """"under a hundred" -> "under 100", "two hundred and fifty" -> "250"; "the second one" stays."""
    def number(m: re.Match[str]) -> str:
        words = re.findall(r"[a-z]+", m.group())
        lone_digit = len(words) == 1 and NUMBER_WORDS.get(words[0], 10) < 10 and not UNIT_AFTER_RE.match(text, m.end())
        if lone_digit or words == ["grand"]:
            return m.group()
        total = current = 0
        for word in words:
            if word in NUMBER_WORDS:
                current += NUMBER_WORDS[word]
            elif word == "hundred":
                current = max(current, 1) * 100
            elif word in ("thousand", "grand"):
                total, current = total + max(current, 1) * 1000, 0
        return str(total + current)

    return NUMBER_WORDS_RE.sub(number, text)


@lru_cache(maxsize=1)
def english_words() -> frozenset[str]:
    """Ordinary English words, so spelling correction leaves "range" alone instead of making it "orange".

    Read from the WordPiece vocabulary that ships with the bundled embedding model (a text file; no model
    is loaded); without it, only COMMON_WORDS guard.
    """
    try:
        path = minilm_path() / "vocab.txt"
    except MissingModel:
        return COMMON_WORDS
    if path.exists():
        return frozenset(w for w in path.read_text(encoding="utf-8").split() if w.isalpha()) | COMMON_WORDS
    return COMMON_WORDS


HEAD_SHARE = 0.5  # of the products a word appears in, the share it must head to name a kind of product
KIND_SYNONYM = 0.8  # MiniLM: fridge/refrigerator 0.96, couch/sofa 0.86; related kinds: novel/book 0.77, toothbrush/paste 0.72
WORD_RE = re.compile(r"[^\W\d_]+")


def drops_letters(word: str, of: str, most: int = 2) -> bool:
    """Whether `word` is `of` with up to `most` letters left out, the first kept ("tostr" of "toaster"): the commonest
    typo of a fast typist, and no other word's ("robot" leaves out no letters of "root")."""
    if not 0 < len(of) - len(word) <= most or word[:1] != of[:1]:
        return False
    letters = iter(of)
    return all(c in letters for c in word)


def compact(text: str) -> str:
    """The lookup key of a phrase: lower case, no spaces, hyphens or underscores ("Noise-Cancelling" = "noisecancelling")."""
    return re.sub(r"[\s_\-]+", "", fold(text))


def phrase_pattern(phrases: list[str]) -> re.Pattern[str] | None:
    """One regex for many phrases, longest first, flexible about spaces and hyphens between words. Messages are read
    lower-cased, so the phrases are too ("Backpacks" is a shop's category name)."""
    if not phrases:
        return None
    lowered = sorted({fold(p) for p in phrases}, key=len, reverse=True)
    parts = [r"[\s_-]?".join(re.escape(w) for w in re.split(r"[\s_\-]+", p)) for p in lowered]
    return re.compile(r"(?<![\w])(?:" + "|".join(parts) + r")(?![\w])")


def plural_forms(word: str) -> list[str]:
    """"running shoes" -> [running shoes, running shoe]; "accessories" -> [accessories, accessory]."""
    if word.endswith("ies"):
        return [word, word[:-3] + "y"]
    if word.endswith(("ches", "shes", "sses", "xes")):
        return [word, word[:-2]]
    if word.endswith("s") and not word.endswith("ss"):
        return [word, word[:-1]]
    return [word, word + ("es" if word.endswith(("ch", "sh", "x")) else "s")]


@dataclass
class AttributeInfo:
    name: str
    kind: str  # "bool" | "text" | "list" | "number"
    categories: set[str] = field(default_factory=set)
    count: int = 0  # products that have it
    values: dict[str, str] = field(default_factory=dict)  # lower case -> value as in the catalog
    low: float | None = None
    high: float | None = None
    unit: str | None = None  # "gb" for ram_gb
    base: str = ""  # "ram" for ram_gb, "age" for age_min
    bound: str | None = None  # "min" / "max" for age_min / age_max


@dataclass
class Vocabulary:
    categories: dict[str, str] = field(default_factory=dict)  # name -> display name
    category_terms: dict[str, str] = field(default_factory=dict)  # compact phrase -> category
    synonym_terms: set[str] = field(default_factory=set)  # compact phrases that came from CATEGORY_SYNONYMS
    brands: dict[str, str] = field(default_factory=dict)  # compact phrase -> brand as in the catalog
    attributes: dict[str, AttributeInfo] = field(default_factory=dict)
    value_terms: dict[str, list[tuple[str, str]]] = field(default_factory=dict)  # compact phrase -> [(attr, value)]
    flag_terms: dict[str, tuple[str, bool]] = field(default_factory=dict)  # compact phrase -> (boolean attribute, value)
    number_terms: dict[str, list[tuple[str, float]]] = field(default_factory=dict)  # "gigs" -> [(ram_gb, 1), ...]
    models: dict[str, str] = field(default_factory=dict)  # compact model number or product id -> product id
    words: set[str] = field(default_factory=set)  # spelling dictionary
    kinds: dict[str, set[int]] = field(default_factory=dict)  # stem of a title or category word -> rows of products with it
    category_rows: dict[str, set[int]] = field(default_factory=dict)  # category -> rows of its products
    category_kinds: set[str] = field(default_factory=set)  # stems of category path words: the surest names of a kind
    heads: dict[str, set[int]] = field(default_factory=dict)  # stem -> rows of the products it says what they are
    brand_words: set[str] = field(default_factory=set)  # stems of the words of brand names ("sport" of Altura Sport)
    text_words: set[str] = field(default_factory=set)  # every stem in the shop's product texts (descriptions too)
    currency: str = "USD"  # the shop's: a bare number in a budget is in it
    rates: dict[str, float] = field(default_factory=dict)  # other currencies a budget may be stated in
    patterns: dict[str, re.Pattern[str] | None] = field(default_factory=dict, repr=False)
    _deletes: dict[str, set[str]] = field(default_factory=dict, repr=False)
    _kind_vectors: tuple[list[str], object] | None = field(default=None, repr=False)

    @classmethod
    def from_products(cls, products: list[Product], currency: str = "USD", rates: dict[str, float] | None = None) -> "Vocabulary":
        vocab = cls(currency=currency, rates=dict(rates or {}))
        phrases: dict[str, list[str]] = defaultdict(list)  # pattern name -> raw phrases
        for row, product in enumerate(products):
            vocab.categories.setdefault(product.category, product.category.replace("_", " "))
            vocab.category_rows.setdefault(product.category, set()).add(row)
            if product.brand:
                for said in {product.brand.lower(), re.sub(r"['’]s$", "", product.brand.lower())}:  # "Haldiram's"
                    vocab.brands[compact(said)] = product.brand
                    phrases["brand"].append(said)
            for key in (product.model, product.id):
                if key and re.search(r"\d", key):
                    vocab.models[compact(key)] = product.id
            for name, value in product.attributes.items():
                vocab._observe(name, value, product.category)
            vocab.category_kinds.update(kind_words("", product.category))
            for head in head_words(product.title, product.category):
                vocab.heads.setdefault(head, set()).add(row)
            vocab.text_words.update(kind_words(product.title, product.category), tokenize(" ".join([product.description, product.brand, *product.tags,
                                                              *(str(v) for v in product.attributes.values())])))
        # A brand's first word alone ("Altura" for "Altura Sport") when no other brand starts with it.
        firsts = defaultdict(list)
        for brand in set(vocab.brands.values()):
            firsts[brand.split()[0].lower()].append(brand)
        values = {v for info in vocab.attributes.values() for v in info.values}
        for word, owners in firsts.items():
            if len(owners) == 1 and len(word) >= 4 and compact(word) not in vocab.brands and word not in values:
                vocab.brands[compact(word)] = owners[0]
                phrases["brand"].append(word)
        vocab.kinds = {word: set(rows) for word, rows in kind_index([(p.title, p.category) for p in products]).items()}
        vocab.brand_words = {w for brand in set(vocab.brands.values()) for w in tokenize(brand)}
        vocab._drop_word_brands(products, phrases)
        vocab._index_categories(phrases)
        vocab._index_attributes(phrases)
        for kind, items in phrases.items():
            vocab.patterns[kind] = phrase_pattern(items)
        vocab._index_words(phrases)
        english_words()  # read once now rather than on the first message
        return vocab

    def _drop_word_brands(self, products: list[Product], phrases: dict[str, list[str]]) -> None:
        """A brand spelled with ordinary words that other brands' titles use ("Sugar Free", "Game Star") is read as
        those words, not as a brand wish: "sugar free biscuits" asks for no brand. So is a short brand that is also
        a word of the shop's attribute values ("GM" beside "500 gm")."""
        makers: dict[str, set[str]] = defaultdict(set)
        for product in products:
            for word in tokenize(product.title):
                makers[word].add(product.brand.lower())
        english = english_words()
        value_tokens = {t for product in products for v in product.attributes.values() for t in tokenize(str(v))}
        dropped = {key for key in self.brands if len(key) <= 3 and key in value_tokens}  # "GM" the brand, "500 gm" the size
        for key, brand in list(self.brands.items()):
            said = brand.split()[0] if " " in brand and key == compact(brand.split()[0]) else brand  # "Altura" for "Altura Sport"
            words = [stem(w) for w in WORD_RE.findall(said.lower())]
            others = [{m for m in makers[w] if w not in map(stem, WORD_RE.findall(m))} for w in words]
            if words and all(w in english and len(o) >= 2 for w, o in zip(words, others)):
                dropped.add(key)
        for key in dropped:
            del self.brands[key]
        phrases["brand"] = [p for p in phrases["brand"] if compact(p) not in dropped]

    def _observe(self, name: str, value: object, category: str) -> None:
        kind = ("bool" if isinstance(value, bool) else "number" if isinstance(value, (int, float))
                else "list" if isinstance(value, list) else "text")
        info = self.attributes.setdefault(name, AttributeInfo(name, kind))
        info.categories.add(category)
        info.count += 1
        if kind == "number":
            info.low = value if info.low is None else min(info.low, value)  # type: ignore[type-var]
            info.high = value if info.high is None else max(info.high, value)  # type: ignore[type-var]
        elif kind in ("list", "text"):
            for item in value if isinstance(value, list) else [value]:  # type: ignore[union-attr]
                info.values.setdefault(str(item).lower(), str(item))

    def _index_categories(self, phrases: dict[str, list[str]]) -> None:
        """Flat category names ("running_shoes") are what shoppers ask for. Category paths ("Appliances > Small
        Kitchen > Blenders") are not: their words name kinds instead (`kinds`), at any level of the path."""
        last_words = defaultdict(list)
        for name, display in self.categories.items():
            if ">" in name:
                continue
            for form in plural_forms(display) + [name]:
                self.category_terms[compact(form)] = name
                phrases["category"].append(form)
            last_words[display.split()[-1]].append(name)
        for word, owners in last_words.items():  # "shoes" alone means the only shoe category
            if len(owners) == 1:
                for form in plural_forms(word):
                    self.category_terms.setdefault(compact(form), owners[0])
                    phrases["category"].append(form)
        for fragment, words in CATEGORY_SYNONYMS.items():
            targets = sorted(c for c in self.categories if fragment in c and ">" not in c)
            for word in words if targets else ():
                if self.heads.get(stem(word), set()) - self.category_rows[targets[0]]:
                    continue  # the shop's own titles use the word for other products ("Tea Bags" beside "Backpacks")
                if compact(word) not in self.category_terms:
                    self.category_terms[compact(word)] = targets[0]
                    self.synonym_terms.add(compact(word))
                phrases["category"].append(word)

    def _index_attributes(self, phrases: dict[str, list[str]]) -> None:
        brand_keys, heads = set(self.brands), defaultdict(list)
        for info in self.attributes.values():
            parts = info.name.split("_")
            if info.kind == "bool":
                for phrase in (info.name.replace("_", " "),) + FLAG_SYNONYMS.get(info.name, ()):
                    self.flag_terms[compact(phrase)] = (info.name, True)
                    phrases["flag"].append(phrase)
                for phrase in FLAG_OFF_SYNONYMS.get(info.name, ()):
                    self.flag_terms[compact(phrase)] = (info.name, False)
                    phrases["flag"].append(phrase)
            elif info.kind == "number":
                if len(parts) > 1 and parts[-1] in ("min", "max"):
                    info.bound, info.base = parts[-1], " ".join(parts[:-1])
                elif len(parts) > 1 and parts[-1] in UNITS:
                    info.unit, info.base = parts[-1], " ".join(parts[:-1])
                    for unit, factor in [(info.unit, 1.0)] + CONVERSIONS.get(info.unit, []):
                        for spoken in UNITS[unit]:
                            self.number_terms.setdefault(spoken, []).append((info.name, factor))
                else:  # no unit: the name itself follows or precedes the number ("spf 50", "12 pieces")
                    info.base = " ".join(parts)
                    for spoken in plural_forms(info.base) + list(BASE_SYNONYMS.get(info.base, ())):
                        self.number_terms.setdefault(spoken, []).append((info.name, 1.0))
            elif info.name not in ("size", "sizes") and len(info.values) <= MAX_FILTER_VALUES:  # sizes: only after "size"
                for lower, value in info.values.items():
                    if len(lower) < 3 or compact(lower) in brand_keys or re.fullmatch(r"[\d.\s-]+", lower):
                        continue
                    for phrase in ((lower,) if lower not in VALUE_STOP else ()) + VALUE_SYNONYMS.get(lower, ()):
                        self.value_terms.setdefault(compact(phrase), []).append((info.name, value))
                        phrases["value"].append(phrase)
                    head = lower.split()[-1]
                    if " " in lower and len(head) >= 3 and head.isalpha() and head not in VALUE_STOP:
                        heads[info.name, head].append(value)  # "steel" -> every steel material
        exact = set(self.value_terms)
        for (name, head), values in heads.items():  # only words that are no value of their own ("plush")
            if compact(head) not in exact:
                wish = values if len(values) > 1 else values[0]
                self.value_terms.setdefault(compact(head), []).append((name, wish))  # type: ignore[arg-type]
                phrases["value"].append(head)
        units = sorted(self.number_terms, key=len, reverse=True)
        self.patterns["unit"] = re.compile("|".join(re.escape(u) for u in units)) if units else None

    def _index_words(self, phrases: dict[str, list[str]]) -> None:
        for kind in ("brand", "category", "value", "flag"):
            for phrase in phrases.get(kind, []):
                self.words.update(w for w in WORD_RE.findall(phrase.lower()) if len(w) >= 5)
        for info in self.attributes.values():
            self.words.update(w for w in info.base.split() if len(w) >= 5)
        self.words.update(GENERAL_WORDS)
        for word in self.words:
            for i in range(len(word)):
                self._deletes.setdefault(word[:i] + word[i + 1:], set()).add(word)

    def correct(self, token: str) -> str:
        """A word of 5+ letters one typo away from a shop word becomes that word; others stay."""
        if not 5 <= len(token) <= 24 or token in self.words or token in english_words() or stem(token) in self.kinds:
            return token  # a word of the shop's titles ("rajma") is a product, not a typo of a brand ("Rajam")
        for suffix in ("s", "es", "d", "ed", "ing", "er", "ers"):  # "arrived" is an inflection, not a typo of "arrive"
            base = token[:-len(suffix)]
            if token.endswith(suffix) and (base in self.words or base + "e" in self.words):
                return token
        candidates = set(self._deletes.get(token, ()))
        for i in range(len(token)):
            shorter = token[:i] + token[i + 1:]
            if shorter in self.words:
                candidates.add(shorter)
            candidates.update(self._deletes.get(shorter, ()))
        candidates = {w for w in candidates if w[0] == token[0] and edit_distance_1(token, w)}  # typos keep the first letter
        # Typing drops a letter more often than it adds one: prefer the longer word, then the one more products use
        # ("harpik": Harpic, 14 products, not Harnik, 1), then a fixed order.
        return min(candidates, key=lambda w: (-len(w), -len(self.kinds.get(stem(w), ())), w)) if candidates else token

    def normalize(self, message: str) -> str:
        """Lower case, straight quotes, typos fixed against the shop's words, spelled-out numbers as digits."""
        text = fold(message).translate(str.maketrans("’‘“”\n\t\r", "''\"\"   "))
        text = re.sub(r"[^\W\d_]{5,}", lambda m: self.correct(m.group()), text)
        text = re.sub(r"\b\d{1,2}(?:,\d{2})+,\d{3}\b", lambda m: m.group().replace(",", ""), text)  # 1,00,000 (lakh)
        return spelled_numbers(re.sub(r"(?<=\d),(?=\d{3}\b)", "", text))  # 1,299.99 -> 1299.99

    def kind_of(self, word: str) -> str | None:
        """The stem of a word naming a kind of product this shop has, else None. A typo one edit away is fixed
        ("speker"), never an English word and never a first letter ("mower" is not a typo of "power")."""
        key = stem(word)
        if key in self.kinds:
            return key
        if len(key) < 4 or key in english_words() or word in english_words():
            return None
        near = [k for k in self.kinds if k[0] == key[0] and abs(len(k) - len(key)) <= 1 and edit_distance_1(key, k)]
        return max(near, key=lambda k: (len(self.kinds[k]), k)) if near else None

    def rows_of(self, prefs: Preferences) -> set[int] | None:
        """Rows of the products of the request's category or kind (None: the request names neither)."""
        if prefs.category:
            return self.category_rows.get(prefs.category, set())
        if prefs.kind:
            return set().union(*(self.kinds.get(stem(k.split()[-1]), set()) for k in prefs.kind))
        return None

    def names_products(self, kind: str) -> bool:
        """Whether a kind word mostly says what products are ("bread" in a shop with only "Garlic Bread Mix" does not;
        "brown" in "Brown Rice" and "Bag - Brown" does not either)."""
        return len(self.heads.get(kind, ())) >= HEAD_SHARE * len(self.kinds.get(kind, ()))

    def names_feature(self, word: str) -> bool:
        """Whether a word is what the shop's products have rather than what they are: a word of an attribute's name
        ("camera" of camera_mp, "material") that no product's title heads."""
        key = stem(word)
        if self.heads.get(key):
            return False
        return any(key in {stem(piece) for piece in re.split(r"[_\W]+", f"{info.name} {info.base}")} for info in self.attributes.values())

    def knows(self, word: str) -> bool:
        """Whether a shopper's word is one the shop's texts use, or a typo of a word of its titles ("basmti")."""
        if stem(word) in self.text_words or self.kind_of(word) is not None:
            return True
        return len(word) >= 4 and any(drops_letters(word, k) for k in self.kinds)

    def kind_like(self, word: str) -> str | None:
        """A kind this shop has under another name ("fridge" -> refrigerator): the nearest of its category words by
        meaning, only when it is as close as a synonym is (cosine >= KIND_SYNONYM; related kinds score lower)."""
        from assistant.embeddings import embed  # the model loads only when a shopper names an unknown kind

        if self._kind_vectors is None:
            names = sorted(self.category_kinds)
            self._kind_vectors = (names, embed(names) if names else None)
        names, vectors = self._kind_vectors
        if vectors is None:
            return None
        similarity = vectors @ embed([word])[0]
        best = int(similarity.argmax())
        return names[best] if similarity[best] >= KIND_SYNONYM else None

    def attributes_in(self, category: str | None) -> dict[str, AttributeInfo]:
        """The attributes products of this category have (all of them when the category is unknown)."""
        if category is None:
            return self.attributes
        return {n: a for n, a in self.attributes.items() if category in a.categories} or self.attributes

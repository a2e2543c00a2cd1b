"""Rule-based reading of a user message: the fallback (and cross-check) for the LLM's JSON reading.

`parse` never raises and never loads a model. Shop-specific words come from a `Vocabulary` built
from the catalog; this module only knows generic shop language. Matched spans are blanked out of
the text as they are used, so "16gb" is not read again as a price and "KX-870" not as an order.
Evaluate intents on labelled support requests: python -m assistant.rules --eval-support FILE.csv
"""

from __future__ import annotations

import itertools
import re
import sys
import time
from dataclasses import replace
from typing import Any

from assistant import currency, measures
from assistant.refusals import refusal
from assistant.spelling import fix_word, question_words
from assistant.state import Cues, DialogueState, Intent, Preferences, Understanding
from assistant.lexical import COLOURS, stem
from assistant.vocabulary import BASE_SYNONYMS, AttributeInfo, Vocabulary, compact, english_words
from knowledge.schema import Product

MAX_CHARS = 2_000  # longer messages are cut: the request is at the start, and parsing stays fast


def rx(*parts: str) -> re.Pattern[str]:
    return re.compile("|".join(parts))


# ---- numbers and money --------------------------------------------------------------------------
CURRENCY = rf"{currency.WORD_RE}|grand"
AMOUNT = (rf"(?<![\d.])(?:(?:{currency.SIGN_RE}|\b{currency.PREFIX_RE})\s*)?(?<!\d)(?<!\d\.)\d++(?:\.\d++)?(?:\s*k\b)?"
          rf"(?:\s*(?:{CURRENCY})\b|(?!\w))")
AMOUNT_RE = re.compile(r"(\d++(?:\.\d++)?)(\s*k\b|\s*grand\b)?")
PRICED_RE = re.compile(rf"{currency.SIGN_RE}|\b(?:{CURRENCY}|price|budget|spend|cost)\b")
MAX_CUES = (r"(?:can'?t|cannot|can not|won'?t|don'?t want to|do not want to) (?:spend|pay|go) (?:more than|over|above)|under|below|less than|cheaper than|lower than|(?:no|not|(?:don'?t|do not) have) (?:much |a lot |far )?more than|nothing (?:over|above|more than)|"
            r"not (?:over|above)|max(?:imum)?|at most|up to|upto|within|budget(?: is| of)?:?|<|spend(?:ing)?")
MIN_CUES = r"over|above|more than|at least|min(?:imum)?|starting (?:at|from)|>"
# (kind, pattern), tried in order; each match is blanked before the next pattern runs. "?": needs a currency.
BUDGET_PATTERNS = [(kind, re.compile(p)) for kind, p in [
    ("range", rf"\bbetween\s+({AMOUNT})\s+(?:and|&)\s+({AMOUNT})"),
    ("range", rf"\bfrom\s+({AMOUNT})\s+(?:to|-)\s+({AMOUNT})"),
    ("range?", rf"({AMOUNT})\s*(?:-|–|to)\s*({AMOUNT})"),
    ("max", rf"(?<!\w)(?:{MAX_CUES})\s*(?:of\s+)?({AMOUNT})"),
    ("max", rf"({AMOUNT})\s*(?:or less|or under|or below|max(?:imum)?\b|tops\b|at most)"),
    ("min", rf"(?<!\w)(?:{MIN_CUES})\s*({AMOUNT})"),
    ("min", rf"({AMOUNT})\s*(?:\+|or more|and up|and above|plus\b|minimum|min\b)"),
    ("around", rf"(?<!\w)(?:around|about|roughly|approximately|approx\.?|~|circa|in the)\s*({AMOUNT})(?:\s*(?:range|ish))?"),
    ("around", rf"({AMOUNT})\s*(?:-?ish|or so)\b"),
    ("max?", rf"({AMOUNT})"),  # "I have $150"
]]
NUMBER_CUE_RE = re.compile(rf"(?:(?P<max>{MAX_CUES}|lighter than|smaller than|shorter than)|"
                           rf"(?P<min>{MIN_CUES}|longer than|bigger than|larger than|heavier than))\s*$")
LOWER_IS_BETTER = {"weight"}  # "a 300 g shoe" means at most 300 g; "16gb ram" means at least 16
AGE_WORDS = {"newborn": 0, "infant": 0, "toddler": 2}
AGE_RE = re.compile(r"(?<!\d)(\d++)[\s-]*(?:years?|yrs?)[\s-]*old|(?<!\d)(\d++)\s*y/?o\b|\bages?d?\s*(\d++)\s*(?:\+|and up)?"
                    r"|\bturning\s+(\d++)\b|\b(?:newborn|infant|toddler)\b")
SIZE_RE = re.compile(r"\bsize\s*(?:us\s*|uk\s*|eu\s*)?(\d++(?:\.5)?|xxl|xl|xs|[sml]|small|medium|large|extra large)\b")
SIZE_WORDS = {"small": "s", "medium": "m", "large": "l", "extra large": "xl"}
PERCENT_RE = re.compile(r"(?<![\d.])\d++(?:\.\d++)?\s*%")

# ---- identifiers and references -----------------------------------------------------------------
EMAIL_RE = re.compile(r"(?<![\w.+-])[\w.+-]++@[\w-]++(?:\.[\w-]++)+")
ORDER_ID_RE = re.compile(r"\b([a-z]{2,4}-\d{4,}+)\b|\b(?:order|purchase|parcel|package)\s*(?:number|no\.?|id)?\s*[:#]?\s*"
                         r"([a-z]*-?\d{5,}+)\b|#\s*(\d{5,}+)\b")
MODEL_TOKEN_RE = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
ORDINALS = {"first": 0, "1st": 0, "second": 1, "2nd": 1, "third": 2, "3rd": 2, "fourth": 3, "4th": 3, "fifth": 4, "5th": 4,
            "sixth": 5, "6th": 5, "last": -1}
COUNTS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5}
# An ordinal word is a reference only in a reference-like slot: "the first one", "the 1st or 3rd", not "my first marathon".
REF_RE = re.compile(
    rf"(?:(?<=\bthe )|(?<=\band )|(?<=\bor )|(?<=\bvs )|(?<=, )|(?<=compare )|(?<=between ))(?P<ord>{'|'.join(ORDINALS)})"
    r"(?:\s+(?P<count>two|three|four|five|[2-5])\b)?(?=\s*(?:$|[,.?!;:)]|ones?\b|option|item|product|pair|model|choice|pick|"
    r"result|suggestion|and\b|or\b|vs\b|versus\b|is\b|was\b|has\b|does\b|in\b|with\b|to\b|please|looks?\b|sounds?\b|"
    r"seems?\b|have\b|comes?\b|would\b|will\b|'s\b))|\b(?P<digit>1st|2nd|3rd|4th|5th)\b|"
    r"(?:#|\bnumber\s*|\bno\.\s*|\boption\s*|\bchoice\s*)(?P<num>[1-9]|one|two|three|four|five)\b|"
    r"\btop\s+(?P<top>[2-9]|two|three|four|five)\b|\b(?P<both>both)\b|\b(?P<all>all) (?:of them|three|four|five|these|those)\b")
PRONOUN_RE = re.compile(r"(?<!\bdo )\b(?:it|this one|that one|the one|this|that)\b(?! (?:possible|ok|okay|true|work|mean)\b)")
PLURAL_PRONOUN_RE = re.compile(r"\b(?:them|these|those|they)\b")

# ---- words around wishes ------------------------------------------------------------------------
# A wish right after one of these (at most two words between) is rejected: "no pink", "anything but Nexora".
NEGATION_RE = re.compile(r"(?:\bno|\bnot|\bnon|\bwithout|\bnothing|\banything but|\bexcept|\bavoid\w*|\bhate|\bdislike|"
                         r"\bdon'?t (?:want|like|need)|\bdoesn'?t (?:need|have)|\bnot a fan of|\binstead of|\bother than|"
                         r"\bapart from|\bbesides|\bexcluding)"
                         r"(?:[\s-]+(?!sure\b|only\b|just\b|too\b|necessarily\b)[\w'-]+){0,2}[\s-]*$")
RECIPIENTS = (r"wife|husband|partner|boyfriend|girlfriend|fianc[eé]e?|son|daughter|kids?|child|children|boy|girl|toddler|baby|"
              r"teen|teenager|nephew|niece|dad|father|mom|mum|mother|parents|grand(?:ma|pa|mother|father|son|daughter)|"
              r"brother|sister|friend|colleague|coworker|boss|uncle|aunt|him|her")
RECIPIENT_RE = re.compile(rf"\b(?:for|to)\s+(?:my|a|an|our|the|his|her)?\s*(?P<age>\d++[\s-]*(?:years?|yrs?)[\s-]*old\s*|"
                          rf"\d++\s*y/?o\s*)?(?:(?:little|young|teenage|new|baby|older|younger)\s+)?(?P<who>{RECIPIENTS})?\b")
USE_RE = re.compile(r"\bfor\s+(?=((?:[^\W\d_][\w'-]*\s*){1,5}))")  # lookahead: "looking for X for Y" tries both
USE_STOP = set("and with under below less in that but which around between no not without at on to from about or please than "
               "so because i it me is are was if who i'm im as by this my me myself you us sale free now sure age ages".split())
USE_AFTER_SKIP = set("look looking search searching shop shopping ask asking wait waiting thank thanks pay go".split())

# ---- intents ------------------------------------------------------------------------------------
STRONG_OOS_RE = rx(r"\b(?:write|compose|generate|create)\s+(?:me\s+)?(?:a|an|some)?\s*(?:[\w-]+\s+)?(?:poem|essay|story|song|haiku|"
                   r"limerick|code|program|script|joke)|\bhomework\b|\b(?:tell|know) (?:me )?(?:a|any) jokes?\b|\bpoem\b")
WEAK_OOS_RE = rx(r"\b(?:weather|forecast|politic\w*|election|vote|president|prime minister|government|religion|bitcoin|crypto\w*",
                 r"stock market|invest\w*|diagnos\w*|symptoms?|doctor|medical|medicine|medication|prescription|disease|illness",
                 r"lawyer|attorney|legal advice|lawsuit|divorce|capital of|history of|recipe|equation|calculus|solve",
                 r"meaning of life|who won|horoscope|translate)\b")
HUMAN_RE = rx(r"\bhuman\b", r"\breal (?:person|people|agent)\b", r"\blive (?:person|agent|chat|support)\b",
              r"(?<!bad )(?<!poor )(?<!slow )(?<!good )(?<!great )(?<!terrible )(?<!awful )(?<!their )(?<!its )"
              r"\bcustomer\s?(?:service|support|care|assistance|team)\b",  # not a verdict on a maker ("bad customer service")
              r"\b(?:representative|operator|call cent(?:er|re))\b",
              r"\bagent\b", r"\b(?:talk|speak|chat|contact|reach|call)\w*\s+(?:to\s+|with\s+)?(?:a |an |some |your |the )?"
              r"(?:person|agent|someone|somebody|representative|rep|operator|staff|manager|supervisor|people|assistant)\b",
              r"\b(?:phone number|phone line|hotline|call me|call (?:you|back)|ring you)\b",
              r"\bcontact (?:you|support|someone|somebody)\b",
              r"\b(?:someone|somebody) (?:from|at) (?:your|the) (?:team|staff|store|shop|company)\b")
GOODS = r"(?:order|package|parcel|purchase|item|article|product|delivery|shipment|stuff)"
ORDER_RE = rx(rf"\bwhere(?:'s| is| are)\s+(?:my|the|our)\s+{GOODS}", rf"\btrack\w*\s+(?:my |the |an |a |our )?{GOODS}",
              rf"\border status\b|\bstatus of (?:my |the )?{GOODS}|\bhas my {GOODS}|\beta\b",
              rf"\b(?:my|the|our)\s+(?:\w+\s+)?{GOODS}s?\s+(?:to\s+|will\s+|(?:is |are )?(?:going to|gonna)\s+)?"
              r"(?:arrive|come|get here|be delivered|ship|shipped)\b",
              rf"\bwhen (?:will|does|is|do) (?:my|the|i get my) {GOODS}",
              rf"\b(?:locate|expect|receive)\s+(?:my |the )?(?:\w+ )?{GOODS}",
              r"\b(?:has ?n[o']t|has not|did ?n[o']t|did not|never|not yet|still not) "
              r"(?:arrived|come|shipped|been delivered|shown up|turned up|show up)\b")
# Policy questions. Strong words mean an FAQ anywhere; weak ones only when no product is being discussed ("low profile").
FAQ_RE = re.compile(r"\b(?:" + "|".join([
    r"return\w*|refund\w*|money back|reimburs\w*|compensation\w*|restitution\w*|rebate\w*|exchang\w*|send (?:it |them )?back",
    r"cancel\w*|termination|early exit|exit (?:fees?|charges?|penalt\w*)|withdrawal|penalt\w*",
    r"shipping|shipment\w*|ship\w* (?:to|internationally|abroad|overseas|outside)|do you ship|deliver\w*|postage|courier|customs",
    r"import (?:tax\w*|dut\w*)|duties|abroad|overseas|international\w*|sign for|order\w* from (?!your\b|you\b|the\b|my\b)[a-z]+",
    r"payment\w*|paypal|pay (?:with|by|in|later|over time|monthly)|paying (?:with|by)|how (?:can|do) i pay|ways to pay",
    r"credit card|debit card|declined|been charged|was charged|charged twice|billing|installments?|instalments?|financing|klarna",
    r"invoice\w*|receipts?|bills?|warrant\w*|guarantee\w*|repair\w*|defective|damaged|faulty|wrong item|crushed|cracked",
    r"stopped working|(?:doesn'?t|don'?t|won'?t|does not|do not|will not) (?:work|turn on|charge)",
    r"(?:cards?|apple pay|google pay) do you (?:take|accept)|(?:take|accept) (?:apple pay|google pay|(?:credit |debit )?cards?)",
    r"size (?:guide|chart)|sizing|what size|true to size|runs? (?:small|large|big)",
    r"price match\w*|price drop|price adjust\w*|gift cards?|gift wrap\w*|gift receipts?|vouchers?|promo(?: code)?s?|coupons?",
    r"discount\w*|\w*account\w*|sign(?:ing)?[ -]?up\w*|signup|regist\w*|log ?in|login|password\w*|pwd|pin code|username",
    r"credentials|access key|(?:restor|recover|retriev|reset)\w* (?:my |the |a |your )?(?:\w+ )?(?:key|pin|code|access)",
    r"key retrieval|personal (?:details|info\w*|data)|privacy|gdpr|my data|unsubscrib\w*|newsletter\w*|subscri\w*|spam",
    r"stop (?:sending|emailing)|where are (?:your|the) (?:stores?|shops?)|physical (?:store|shop)s?",
    r"address\w*|opening hours|store hours|stores? near|store locat\w*|pick ?up|pickup|click and collect|in[- ]store",
    r"feedback|complain\w*|reclamation\w*|(?:file|lodge|make|submit|open|customer|consumer|warranty|a) claim|claim against",
    r"(?:leav|writ|submit|post|send|giv)\w*\s+(?:a |an |my |some |your )?(?:\w+ )?(?:reviews?|opinions?|comments?)",
    r"(?:chang|modif|edit|updat|add|remov|delet|switch|swap|correct)\w*\b.{0,25}\b(?:order|purchase)",
    r"devol\w*|reembols\w*|retour\w*|rembours\w*|rückgabe|ruckgabe|zurückgeben|zuruckgeben|erstattung|envío|envio|livraison|versand|garant\w*",
]) + r")\b")
FAQ_WEAK_RE = re.compile(r"\b(?:user|profile|pin|lost|late|missing|broken|stolen|review|fees?|contract|pay for|ships?)\b")
HOWTO_ORDER_RE = re.compile(r"\b(?:place|make|making|placing)\s+(?:an? |the )?(?:\w+ )?(?:order|purchase)\b|\b(?:buy\w*|order\w*|"
                            r"purchas\w*|shop\w*|acquir\w*|get)\s+(?:an? |one |some |several |a few |few |multiple )?"
                            r"(?:of (?:your|ur|the) )?(?:items?|products?|articles?|things|stuff|something)\b")
CART_ADD_RE = rx(r"\b(?:add|put|throw|place|move)\b.{0,40}\b(?:to|in|into)\s+(?:my\s+|the\s+)?(?:cart|basket|bag|trolley)\b",
                 r"^(?:please\s+|ok(?:ay)?,?\s+|great,?\s+)?add\s+(?:it|that|this|them|both|the|one|#|\d)\b")
CART_REMOVE_RE = rx(r"\b(?:remove|delete|take out|drop)\b.{0,40}\b(?:from|out of)\s+(?:my\s+|the\s+)?(?:cart|basket|bag)\b",
                    r"^(?:please\s+)?(?:remove|delete|drop)\s+(?:it|that|this|them|the)\b")
CART_SHOW_RE = rx(r"\bwhat(?:'s| is)\s+in\s+(?:my|the)\s+(?:cart|basket)", r"^(?:my\s+)?(?:shopping\s+)?(?:cart|basket)\W*$",
                  r"\b(?:show|view|see|open|check)\s+(?:me\s+)?(?:my\s+|the\s+)?(?:shopping\s+)?(?:cart|basket)\b",
                  r"\bcheck\s*out\b|\bcheckout\b|\bproceed to (?:payment|pay)\b")
BUY_RE = re.compile(r"\b(?:i'?ll take|i will take|take|buy|purchase|order|get me|(?:go|going) (?:for|with) (?:it|that|this|them|those|these))\b")
COMPARE_RE = rx(r"\bcompar\w*", r"\bvs\.?\b|\bversus\b|\bdifference\b|\bdiffers?\b|\bside by side\b|\bhow do they compare\b",
                r"\bwhich (?:one|of (?:them|these|those|the \w+))\b",
                r"\bwhich (?:is|would|should|do)\b.*\b(?:better|best|recommend|prefer|pick|choose|get|buy)")
QUESTION_RE = rx(r"\?", r"^(?:is|are|does|do|did|can|could|will|would|has|have|what|what's|whats|which|how|why|when|where|who)\b",
                 r"\btell me (?:more )?about\b", r"\bmore (?:info|information|details)\b", r"\bdetails\b|\bspecs?\b|\bdescribe\b")
SHOP_RE = re.compile(r"\b(?:recommend\w*|suggest\w*|show me|looking for|look for|searching for|shopping for|gift|present|buy|"
                     r"do (?:you|u|ya)(?: guys| all)? (?:have|sell|carry|stock)|cheap|budget|affordable|best|something|anything|need an?|want an?|"
                     r"options)\b")
# Words that ask for a product whatever else the message says (unlike "best" in "the best way to ...").
REQUEST_RE = re.compile(r"\b(?:buy\w*|purchas\w*|recommend\w*|suggest\w*|gifts?|presents?|shopping|looking for|look for|"
                        r"(?:do|does) (?:you|u|ya)(?: guys| all)? (?:have|sell|carry|stock)|need|want|get me|show me|order)\b")
REFINE_RE = re.compile(r"\b(?:instead|what about|how about|(?:other|another|any other) (?:options?|colou?rs|brands?|ones?|models?)|more options|show me more|"
                       r"something else|anything else|different|alternatives?|similar|only|rather|prefer)\b")
CHITCHAT_RE = rx(r"^(?:hi|hello|hey|heya|hiya|howdy|yo|greetings|good (?:morning|afternoon|evening|day)|thanks?|thank you|thx|ty",
                 r"cheers|bye|goodbye|see you|ok(?:ay)?|cool|great|nice|awesome|perfect|sure|yes|no|yep|nope|hola|buenas",
                 r"buen[oa]s (?:días|dias|tardes|noches)|bonjour|bonsoir|salut|hallo|guten (?:tag|morgen|abend)|servus|moin",
                 r"ciao|buongiorno|olá|ola|oi|merci|gracias|danke|grazie|obrigad[oa])\b",
                 r"\bhow are you\b|\bwho are you\b|\bwhat can you do\b|\bnice to meet\b")
THANKS_RE = re.compile(r"\b(?:thanks?|thank you|thx|ty|cheers|appreciate)\b", re.I)
CLOSING_RE = re.compile(r"\b(?:bye|goodbye|see you|that'?s (?:all|it|everything)|nice (?:talking|chatting)|have a (?:nice|good|great)|"
                        r"i'?ll (?:pay|order|check ?out|think about it)|all set|i'?m done|no,? thanks?)\b", re.I)
HELLO_RE = re.compile(r"^\W*(?:hi|hello|hey|heya|hiya|howdy|good (?:morning|afternoon|evening))\b", re.I)
HOW_ARE_YOU_RE = re.compile(r"\bhow (?:are|r) (?:you|u|ya)\b|\bhow'?s it going\b|\bhow do you do\b|\bhow have you been\b", re.I)
# "No" on its own, to "anything else?" or to "shall I compare them?".
DECLINE_RE = re.compile(r"^\W*(?:no|nope|nah|not really|not now|nothing(?: else)?|no,? (?:not (?:now|really)|i'?m (?:good|fine)))\W*$", re.I)
LIKED_RE = re.compile(r"\b(?:nice|cute|cool|great|lovely|beautiful|pretty|awesome|amazing|perfect|love (?:it|them|this|that)|"
                      r"looks? (?:good|great|nice|fine)|looking (?:good|nice)|sounds? (?:good|great|interesting|nice)|interesting)\b", re.I)
BRIEF_WORDS = 3  # a remark this short says nothing more than its tone ("sure!", "oh yea")
# What a question about a product asks for, beside its attributes (the cues of `cues`).
ASKS_RE = {
    "price": re.compile(r"\b(?:how much|price|cost|costs|expensive|cheap)\b", re.I),
    "stock": re.compile(r"\b(?:in stock|stock|available|availability|sold out|left)\b", re.I),
    "rating": re.compile(r"\b(?:rating|rated|reviews?|stars?|good|worth)\b", re.I),
    "currency": re.compile(r"\b(?:which|what) currency\b|\bcurrency (?:is|are) (?:it|that|this|the prices?)\b|"
                           r"\b(?:is|are) (?:it|that|this|the prices?|prices) in (?:[a-z]{3}|dollars|euros?|pounds|rupees)\b", re.I),
}
QTY_RE = re.compile(r"\b(\d{1,2}|two|three|four|five)\s*(?:x\b|of\b|pairs?\b|units?\b|pieces?\b)", re.I)
WORD_QTY = {"two": 2, "three": 3, "four": 4, "five": 5}
JUST_SHOW_RE = re.compile(r"\b(?:just|simply)\s+(?:show|give|recommend|suggest|pick)\b|\b(?:anything|whatever|surprise me|"
                          r"doesn'?t matter|don'?t care|no preference|up to you|you (?:choose|pick|decide)|any (?:is|will do))\b")
FOREIGN_WORDS = frozenset("""el la los las un una unos que para con por quiero busco necesito tienen hay zapatillas cuánto cuesta
je cherche des pour avec une les est vous avez voudrais combien ich suche für mit eine und nicht haben sie möchte wie viel
cerco voglio sono della questo quanto costa eu quero procuro não você obrigado gracias merci danke""".split())
ENGLISH_WORDS = frozenset("the a an i you my for with and to is are do does what which how need want looking show me".split())
# A reply to "what will you use them for, and do you have a budget?" that adds no wish.
ANSWER_RE = re.compile(r"(?:yes|yeah|yep|sure|ok(?:ay)?|no|nope|nah|not really|not sure|no idea|i don'?t know|dunno|"
                       r"whatever|anything|any|either|doesn'?t matter|no preference|none)\b[\s\W]*(?:\w+[\s\W]*){0,3}$")
OTHER_OPTIONS_RE = re.compile(r"\b(?:other|another|any other|different|more) (?:options?|ones?|models?|choices?|alternatives?)\b"
                              r"|\balternatives?\b")
MORE_RE = re.compile(r"\b(?:more|other|different|else|another)\b")
# A verdict on the products shown ("they look ugly", "not my style"): other products, never a kind named "ugly".
DISLIKE_RE = re.compile(r"\b(?:ugly|hideous|boring|meh|dislike|hate (?:it|them|these|those|that)|(?:do not|don'?t|didn'?t) (?:really )?"
                        r"(?:like|love|want) (?:it|them|these|those|that|this|any)|not (?:really )?(?:my|for me|a fan|"
                        r"(?:my|the) (?:style|taste|thing))|none of (?:these|those|them)|neither|not (?:what i|quite)|"
                        r"(?:look|looks|looking|seem|seems) (?:bad|cheap|weird|odd|old|dated)|not (?:good|great|nice) enough)\b")
RESET_RE = re.compile(r"\b(?:start over|start again|from scratch|never ?mind|forget (?:it|that|everything|about it)|new search|"
                      r"something (?:completely |totally )?different)\b")
# (pattern, attribute base word or "price", bound): refinements relative to the products shown or referenced.
COMPARATIVES = [(re.compile(p), base, bound) for p, base, bound in [
    (r"\b(?:cheaper|less expensive|more affordable|lower price[ds]?|too (?:expensive|pricey|much))\b", "price", "max"),
    (r"\b(?:more expensive|pricier|premium|high(?:er)?[- ]end|fancier|top of the line)\b", "price", "min"),
    (r"\b(?:lighter|less heavy|too heavy)\b", "weight", "max"),
    (r"\b(?:longer|more|better) battery\b", "battery", "min"),
    (r"\b(?:more|bigger) (?:storage|space)\b", "storage", "min"),
    (r"\bmore (?:ram|memory)\b", "ram", "min"),
    (r"\b(?:bigger|larger) (?:screen|display)\b", "screen", "min"),
]]


def blank(text: str, span: tuple[int, int]) -> str:
    return text[:span[0]] + " " * (span[1] - span[0]) + text[span[1]:]


def negated(text: str, start: int) -> bool:
    clause = re.split(r"[,.;!?]|(?<!anything )(?<!everything )\bbut\b", text[max(0, start - 40):start])[-1]
    return bool(NEGATION_RE.search(clause))


def add_wish(target: dict[str, Any], name: str, value: Any) -> None:
    """Several values of one attribute become a list of acceptable values ("black or navy")."""
    old = target.get(name)
    if old is None or isinstance(value, (bool, dict)):
        target[name] = value
        return
    merged = list(dict.fromkeys((old if isinstance(old, list) else [old]) + (value if isinstance(value, list) else [value])))
    target[name] = merged[0] if len(merged) == 1 else merged


def find_identifiers(text: str, vocab: Vocabulary) -> tuple[str, str | None, str | None, list[str]]:
    """E-mail, model numbers or product ids ("kx870" = "KX-870") and an order id, each blanked once read."""
    email = order_id = None
    if m := EMAIL_RE.search(text):
        email, text = m.group(), blank(text, m.span())
    refs: list[str] = []
    tokens = list(MODEL_TOKEN_RE.finditer(text))
    for i, token in enumerate(tokens):
        key, span = compact(token.group()), token.span()
        after = tokens[i + 1] if i + 1 < len(tokens) else None
        if not re.search(r"\d", key) and after and after.group()[0].isdigit() and text[token.end():after.start()] == " ":
            key, span = key + compact(after.group()), (token.start(), after.end())  # "kx 870"
        if key in vocab.models and re.search(r"\d", key):
            refs.append(vocab.models[key])
            text = blank(text, span)
    for m in ORDER_ID_RE.finditer(text):
        found = next(g for g in m.groups() if g)
        if compact(found) not in vocab.models:
            order_id, text = found.upper(), blank(text, m.span())
            break
    return text, order_id, email, refs


def find_references(text: str, state: DialogueState) -> list[str]:
    """Positions in the last recommendation: "the second one", "1st or 3rd", "#2", "the first two", "both"."""
    shown, refs = state.shown, []
    for m in REF_RE.finditer(text):
        if m.group("both") or m.group("all"):
            refs += shown[:2] if m.group("both") else shown
        elif top := m.group("top"):
            refs += shown[:COUNTS.get(top) or int(top)]
        elif word := m.group("ord") or m.group("digit"):
            index, count = ORDINALS[word], m.group("count")
            if count and index == 0:  # "the first two"
                refs += shown[:COUNTS.get(count) or int(count)]
            else:
                refs += shown[index:][:1] if index >= 0 else shown[-1:]
        else:
            number = m.group("num")
            refs += shown[(COUNTS.get(number) or int(number)) - 1:][:1]
    return list(dict.fromkeys(refs))


def last_discussed(state: DialogueState) -> str | None:
    """"it": the product of the latest assistant turn about exactly one product, or the only one shown."""
    for turn in reversed(state.history):
        if turn.role == "assistant" and turn.product_ids:
            return turn.product_ids[0] if len(turn.product_ids) == 1 else None
    return state.shown[0] if len(state.shown) == 1 else None


def find_category(text: str, vocab: Vocabulary) -> str | None:
    """The product kind asked for: catalog names beat synonyms, and "a case for my phone" is about the case."""
    found = []
    for m in vocab.patterns["category"].finditer(text) if vocab.patterns.get("category") else ():
        if not negated(text, m.start()):
            secondary = bool(re.search(r"\bfor (?:my|a|an|the|your|our)?\s*$", text[max(0, m.start() - 12):m.start()]))
            key = compact(m.group())
            if key in vocab.synonym_terms and unheard_before(text, m.start(), vocab):
                continue  # "pencil case", "robot vacuum": the shopper's word names another kind than the synonym's
            found.append((secondary, key in vocab.synonym_terms, m.start(), vocab.category_terms[key]))
    return min(found)[3] if found else None


def unheard_before(text: str, start: int, vocab: Vocabulary) -> bool:
    """Whether the word just before `start` is an English one no text of the shop has ("pencil" case; not "quiero"
    zapatillas, a shopper's Spanish)."""
    before = re.findall(r"[a-z]+", text[max(0, start - 30):start])[-1:]
    return bool(before) and before[0] in english_words() and unheard(before[0], vocab)


def unheard(word: str, vocab: Vocabulary) -> bool:
    """A word of a product's name that no text of the shop has, nor a typo of one ("paracetamol", "pencil")."""
    return len(word) > 3 and word not in KIND_STOP and not vocab.knows(word) and not typo_of_english(word)


# ---- the kind of product, in the shopper's words ----------------------------------------------
# A request names its product before any "for ...", "with ...", "under ...": "a wall mount for a 65 inch tv".
QUESTION_WORD_RE = re.compile(r"(?:what|whats|where|when|why|how|is|are|can|could|do|does|did|will|would|who|which)\b")
LOOKING_FOR_RE = re.compile(r"\b(?:looking|searching|shopping|hunting|search|look|shop)\s+(?:for|around for)\b")
KIND_CLAUSE_RE = re.compile(r"[,.;:!?()\[\]/]+|\s-\s|\b(?:and then|also|but|if|so|because)\b")
KIND_TAIL_RE = re.compile(r"\b(?:for|with|without|that|thats|which|who|it|its|they|there|to|can|could|will|would|should|must|under|below|over|above|less|more|from|like|than|in|on|at|"
                          r"around|about|between|near|except|not|no|instead|apart|since|as|because|cause|cuz|coz|though|although|"
                          r"while|unless|until)\b.*$")
DESCRIBING_TAIL_RE = re.compile(r"\b(?:for|with|without|under|below|over|above|from|in|between|around|less|more)\b.*$")
KIND_STOP = set("""a an the some any all my our your his her their its this that these those it them they me i you we us he she
none neither nothing guys folks one ones thing things stuff something anything kind type sort sorts kinds item items product products option options
hi hello hey hiya yo please pls plz thanks thank ok okay yes yeah no nope just really very maybe perhaps also too even still
do does did doing done have has had having get got getting buy bought buying need needs needed want wants wanted wanna looking
look find show see tell told ask asked pick picking take give use try trying recommend suggest sell sells selling carry stock
is are was were be been am can could would should will shall may might must let lets go going come help know think
new good best better great nice cheap cheapest cheaper budget affordable expensive price prices quality top popular decent
what which where how when who why whats any anyone there here up down out off of or and to me mine
other others another else more less different same similar alternative alternatives instead rather ones version color
colour size cheaper bigger smaller lighter gift gifts present presents idea ideas recommendation recommendations
suggestion suggestions shop shopping sale sales deal deals offer offers discount later lovely etc
several many few lot lots couple bunch various multiple available possible ready included sure interested enough
wife husband partner boyfriend girlfriend fiance fiancee son daughter kid kids child children boy girl toddler baby teen
teenager nephew niece dad father mom mum mother parents grandma grandpa grandmother grandfather grandson granddaughter
brother sister friend colleague coworker boss uncle aunt him""".split())


def typo_of_english(word: str) -> bool:
    """ "rebating", "shiping": a misspelt or inflected ordinary word, not the name of a product."""
    return fix_word(word) != word or any(word.endswith(end) and word[: -len(end)] + tail in english_words()
                                         for end in ("ing", "ed", "es", "s") for tail in ("", "e"))


PACKAGING = set("bag bags pack packs packet packets bottle bottles box boxes tray trays jar jars can cans tin tins pouch "
                "pouches tub tubs carton cartons sachet sachets".split())


def superlative(word: str) -> bool:
    """"newest", "biggest", "easiest": a degree of an English adjective describes the product, it never names one."""
    if not word.endswith("est") or len(word) < 6:
        return False
    bases = {word[:-3], word[:-2]} | ({word[:-4]} if word[-4] == word[-5] else set()) | (
        {word[:-4] + "y"} if word[-4] == "i" else set())
    return bool(english_words().intersection(b for b in bases if len(b) >= 3))


def head_kind(words: list[str], vocab: Vocabulary) -> tuple[str | None, bool]:
    """(stem of the kind this shop sells that the words name, or None; whether they name one it has never heard of).

    The head is the last word ("aa batteries", "face wash") when some product of the shop is one; when none is
    ("samsung dishwasher stainless", "ink cartridge black"), the last earlier word that mostly names products, else a
    word of the category paths; a typo that cannot be fixed falls back to the word before it."""
    words = [w for w in words if w not in PACKAGING  # "atta 10 kg bag", "a 4 color pack": the bag holds the product
             and not (superlative(w) and vocab.kind_of(w) is None)]  # "the newest one with the best camera"
    if not words:
        return None, False
    words = [w for w in words if w not in COLOURS] or words  # "ink cartridge black": a colour is never the kind
    known = [(vocab.kind_of(w), w) for w in words]
    if known[-1][0] is None and english_words().intersection((words[-1], stem(words[-1]))):
        # No title or category of the shop uses the word: a synonym ("side by side fridge": its refrigerators), or a
        # kind it does not sell, though a description may mention it ("cigarettes", "electric toothbrush").
        like = vocab.kind_like(words[-1])
        return like, like is None
    if (known[-1][0] is None and len(words[-1]) > 3 and stem(words[-1]) not in vocab.text_words
            and not typo_of_english(words[-1])):  # (three letters or fewer: an abbreviation, "ssd", "cse")
        return None, True  # the head is a word no text of the shop has ("electric toothbrush")
    if known[-1][0] and vocab.heads.get(known[-1][0]):
        return known[-1][0], False
    for named in ([k for k, _ in known if k and vocab.names_products(k)], [k for k, _ in known if k in vocab.category_kinds]):
        if named:
            return named[-1], False
    for kind, word in reversed(known):
        if kind:
            return kind, False
        if word in english_words() or stem(word) in english_words():
            like = vocab.kind_like(word)
            return like, like is None and stem(word) not in vocab.text_words
    return None, False


# "do you deliver eggs?" asks for eggs; "do you deliver to Canada / on Sundays?" asks about delivery.
DELIVER_ASK = (r"\b(?:do|does|can|could|will|would) (?:you|u|ya)(?: guys| all)? (?:deliver|ship|bring)\s+"
               r"(?!(?:me|us|to|in|on|at|from|within|outside|abroad|internationally|overseas|worldwide|everywhere|here|"
               r"there|it|them|this|that|my|our|orders?|packages?|parcels?|items?|products?|anything|same|next|"
               r"fast|quickly|today|tomorrow|tonight|by|during|over|for|free|via|with|how|when)\b)(?=[a-z])")
DELIVER_ASK_RE = re.compile(DELIVER_ASK)
ASK_RE = re.compile(DELIVER_ASK + r"|\b(?:can|could|may) (?:i|we) (?:order|get)\b|"
                    r"\b(?:(?:do|does|did) (?:you|u|ya)(?: guys| all)? (?:have|sell|carry|stock|offer)|(?:looking|searching|"
                    r"shopping|hunting) for|look for|recommend\w*|suggest\w*|buy(?:ing)?|purchase|need(?: an?| some)?|"
                    r"want(?: an?| some)?|show me|find me|get me|give me|(?:maybe|perhaps|preferably|ideally) (?:an?|some))\b")


def kind_options(clause: str) -> list[list[str]]:
    """The candidate names of a product in a clause: its words before "for", "with", "under"..., split at "or"."""
    options = [[w for w in o.split() if w.isalpha() and w not in KIND_STOP]
               for o in re.split(r"\bor\b", KIND_TAIL_RE.sub("", LOOKING_FOR_RE.sub(" ", clause)))]
    return [o for o in options if o]


def find_kind(text: str, prefs: Preferences, vocab: Vocabulary, state: DialogueState) -> None:
    """The product type named ("lawn mowers", "toor dal", "deo or perfume"), from the first clause that names one,
    read against this shop's category and title words. A type no title or category of the shop names is kept in the
    shopper's words, so the reply can say honestly that the shop does not carry it: only from a clause that asks for
    a product ("do you have kayaks"), or a message that is nothing but a product's name ("lawn mowers" to begin with,
    "a horror book" at any time), never from a remark ("hmm, this looks nice", "sounds interesting")."""
    unknown: list[str] = []
    before = vocab.rows_of(state.preferences)
    fresh = (not state.shown and state.preferences.is_empty()) or bool(re.match(r"\s*(?:a|an|some)\s", text))  # "a horror book"
    named = DESCRIBING_TAIL_RE.sub("", text)  # "a mystery novel for my mom": the name is before "for"
    bare = (fresh and len(named.split()) <= 4 and len(text.split()) <= 12 and not re.search(r"[,.;:!]", text)
            and not QUESTION_WORD_RE.match(text.strip()) and not CHITCHAT_RE.search(text.strip()))
    for clause in KIND_CLAUSE_RE.split(text):
        asks = bool(SHOP_RE.search(clause) or ASK_RE.search(clause))
        kinds, missing, modifiers = [], [], []
        # What a request asks for first ("I would like to buy *a pencil case*": not "i" before "would"), else the clause.
        objects = [o for part in request_objects(clause) for o in kind_options(part)]
        for i, words in enumerate(objects + kind_options(clause)):
            if kinds and i == len(objects):
                break  # the request's objects named the kind
            kind, _ = head_kind(words, vocab)
            if kind and not vocab.heads.get(kind) and (not (asks or bare) or kind in vocab.brand_words):
                continue  # a word the titles only mention, in a remark ("I really enjoy classics") or a brand's name
            if kind:
                kinds.append(kind)
                # The other words are wishes ("wireless headphones"), typos fixed; one no text of the shop has ("robot
                # vacuum", "paracetamol tablets") too: no product meets it, and the reply says so.
                at = [i for i, w in enumerate(words) if vocab.kind_of(w) == kind] or [len(words) - 1]  # or a synonym
                modifiers = [vocab.kind_of(w) or w for i, w in enumerate(words) if i != at[-1] and vocab.kind_of(w) != kind
                             and (vocab.knows(w) or i < at[-1] and unheard(w, vocab))]
        # A kind the shop has never heard of is only the object of a request ("looking for *a thriller book*"),
        # never words picked out of a sentence ("I'm looking to move away from them").
        if not kinds:
            missing = unknown_kind(clause, bare, vocab, describing=bool(before))
        if kinds and before and all(vocab.kinds[k] & before for k in kinds) and not set(kinds) & vocab.category_kinds:
            prefs.words = modifiers + kinds  # "trail ones" after "running shoes": a wish within the request, not a new one
            return
        if kinds:
            prefs.kind = list(dict.fromkeys(kinds))
            prefs.words = modifiers if len(kinds) == 1 else []  # "wireless headphones"; not across "x or y"
            return
        unknown += missing
    prefs.kind = unknown[:1]


# After the product's name a new sentence may start without a stop: "a calendar I am a very messy person".
SUBJECT_TAIL_RE = re.compile(r"(?<=[a-z])\s+(?:i|i'?m|im|i'?ve|we|he|she|you|it'?s|my|our|am|is|are|was|were|so)\b.*$")
# "something light", "anything less disturbing": the product is not named, only described.
UNNAMED_RE = re.compile(r"^\s*(?:something|anything|everything|nothing)\b")
OBJECT_PRONOUN_RE = re.compile(r"^\s*(?:me|us|him|her|them)\b")
# "the photo", "this one": a thing already in the conversation, not a request for a kind.
REFERENCE_RE = re.compile(r"^\s*(?:the(?! \w+est\b)|this|that|these|those|it|its)\b")  # ("the best calendar" is a request)
# "can I order from Toronto", "can I get in touch": where or how, not what.
PLACE_RE = re.compile(r"^\s*(?:to|from|in|on|at|for|by|via|online|here|there|with|without|outside|within|into|back|of)\b")
# "show me a picture of it", "can I see a video": something to look at, not a product asked for.
MEDIA_RE = re.compile(r"^\s*(?:an? |the |some |more |other )?(?:pictures?|photos?|pics?|images?|videos?|photographs?)\b(?!\s+(?:frames?|albums?))")
FACET_WORDS = {"size", "sizes", "color", "colour", "colors", "colours", "version", "model", "style", "design", "shade"}


def request_objects(clause: str) -> list[str]:
    """What each request of the clause asks for: its words up to the next request, without a pronoun before them
    ("show me ...") or a new sentence after them ("a calendar I am a very messy person")."""
    asks = list(ASK_RE.finditer(clause))
    return [SUBJECT_TAIL_RE.sub("", OBJECT_PRONOUN_RE.sub("", clause[a.end(): b.start() if b else len(clause)].lower()))
            for a, b in zip(asks, asks[1:] + [None])]


def unknown_kind(clause: str, bare: bool, vocab: Vocabulary, describing: bool = False) -> list[str]:
    """A kind of product the shop has never heard of, in the shopper's words, from the object of a request in the
    clause (or the whole clause when it is nothing but a name): each request's object up to the next request.
    `describing`: a request is under way, so a word naming what its products have ("camera") is a wish, not a kind."""
    for text in request_objects(clause) or ([clause.lower()] if bare else []):
        if UNNAMED_RE.match(text) or REFERENCE_RE.match(text) or PLACE_RE.match(text) or MEDIA_RE.match(text):
            continue
        named = re.findall(r"[a-z0-9]+", KIND_TAIL_RE.sub("", text))  # ("running shoes size 10": a size wish)
        for words in ([w for w in option if not superlative(w)] or option for option in kind_options(text)):
            if named and named[-1] in FACET_WORDS or describing and vocab.names_feature(words[-1]):
                continue  # "a desktop size", "good camera", "recycled material": what a product has, not what it is
            if head_kind(words, vocab)[1]:
                return [" ".join(words[-3:])]
    return []


def find_recipient(text: str, prefs: Preferences) -> None:
    """Who it is for: "for my wife", "gift for my 7 year old son" (son), "for a 7 year old"."""
    for m in RECIPIENT_RE.finditer(text):
        if m.group("who") or m.group("age"):
            prefs.recipient = m.group("who") or re.sub(r"[\s-]+", " ", m.group("age")).strip()
            return


def find_use_case(text: str, prefs: Preferences, vocab: Vocabulary) -> None:
    """What it is for: "for marathon training", "for my commute" (not "for my Nexora Nova": that is a wish)."""
    for m in USE_RE.finditer(text):
        words = re.sub(r"^(?:(?:my|the|a|an|some|our|your|his|her)\s+)+", "", m.group(1)).split()
        use = " ".join(itertools.takewhile(lambda w: w not in USE_STOP, words))
        known = any(compact(use) in terms for terms in (vocab.category_terms, vocab.value_terms, vocab.brands))
        after_verb = set(text[:m.start()].split()[-1:]) & USE_AFTER_SKIP  # "looking for ..." names the product, not a use
        if use and not known and not after_verb and not re.match(rf"(?:{RECIPIENTS})\b", use):
            prefs.use_case = use
            return


def find_attributes(text: str, prefs: Preferences, vocab: Vocabulary) -> str:
    """Sizes, ages, on/off features and named values (colors, materials...), then numbers with units."""
    attrs = vocab.attributes_in(prefs.category)
    for m in SIZE_RE.finditer(text):
        size = SIZE_WORDS.get(m.group(1), m.group(1))
        for name in ("sizes", "size"):
            if name in attrs and size in attrs[name].values:
                add_wish(prefs.must_have, name, attrs[name].values[size])
                text = blank(text, m.span())
    for m in AGE_RE.finditer(text):
        word = m.group().strip()
        age = AGE_WORDS[word] if word in AGE_WORDS else int(next(g for g in m.groups() if g))
        for info in attrs.values():  # the child's age must lie within the product's age range
            if info.base == "age" and info.bound:
                prefs.must_have[info.name] = {"max": age} if info.bound == "min" else {"min": age}
        text = blank(text, m.span())
    for kind, table in (("flag", vocab.flag_terms), ("value", vocab.value_terms)):
        for m in vocab.patterns[kind].finditer(text) if vocab.patterns.get(kind) else ():
            if kind == "value" and unheard_before(text, m.start(), vocab):
                continue  # a "pencil case" is not a phone accessory of the kind "case"
            target = prefs.excluded if negated(text, m.start()) else prefs.must_have
            for name, value in [table[compact(m.group())]] if kind == "flag" else table[compact(m.group())]:
                if name in attrs:
                    add_wish(target, name, value)
            text = blank(text, m.span())
    return find_numbers(text, prefs, vocab, attrs)


NEAR_WORD = 25  # characters between a number and the word naming its attribute, for "256G memory"


def closeness(info: AttributeInfo, text: str, span: tuple[int, int]) -> int:
    """Characters between a number and the nearest word naming the attribute ("ram", "battery", "lighter")."""
    words = "|".join(re.escape(w) for w in info.base.split() + list(BASE_SYNONYMS.get(info.base, ())))
    start = max(0, span[0] - 30)
    hits = re.finditer(rf"\b(?:{words})\b", text[start:span[1] + 30])
    return min((abs(start + h.start() - span[0]) for h in hits), default=999)


def find_numbers(text: str, prefs: Preferences, vocab: Vocabulary, attrs: dict[str, AttributeInfo]) -> str:
    """"16gb ram" -> ram_gb >= 16, "under 200 grams" -> weight_g <= 200, "spf 50" -> spf >= 50."""
    if not (unit := vocab.patterns.get("unit")):
        return text
    if "number" not in vocab.patterns:
        vocab.patterns["number"] = re.compile(  # "16gb", "20 hours or more", "spf 50"; never "$100"
            rf"(?<![\w.$€£])(?<![$€£] )(\d++(?:\.\d++)?)\s*-?\s*({unit.pattern})(?![\w])"
            rf"(\s*(?:or more|\+|or less|max|min))?"
            rf"|\b({unit.pattern})\s*(?:of\s*)?(\d++(?:\.\d++)?)\b")
    for m in list(vocab.patterns["number"].finditer(text)):
        value, spoken, post = float(m.group(1) or m.group(5)), m.group(2) or m.group(4), m.group(3) or ""
        if spoken == "in" and not re.fullmatch(r"[\d.]+in", m.group().strip()):
            continue  # "15in" is a screen size; "100 in black" is not
        terms = vocab.number_terms.get(spoken, [])
        if spoken == "g":  # "256G internal memory": G is gigabytes next to a word naming a GB attribute
            gigabytes = [(n, f) for n, f in vocab.number_terms.get("gb", []) if n in vocab.attributes
                         and closeness(vocab.attributes[n], text, m.span()) <= NEAR_WORD]
            terms = gigabytes or terms
        candidates = [(attrs[n], f) for n, f in terms if n in attrs] or [(vocab.attributes[n], f) for n, f in terms]
        # In the attribute's range, or named right beside the number ("at least 16GB internal memory" of phones that
        # all have 64 GB or more: every one meets it, and it is not their RAM).
        fitting = [(a, f) for a, f in candidates if a.low is None or a.low / 3 <= value * f <= (a.high or 0) * 3
                   or closeness(a, text, m.span()) <= NEAR_WORD]
        cue = NUMBER_CUE_RE.search(text[max(0, m.start() - 20):m.start()])
        if fitting:  # the attribute named nearest ("16gb ram, 512gb storage"), else the most common one
            info, factor = min(fitting, key=lambda c: (closeness(c[0], text, m.span()), -c[0].count))
            lower = (cue and cue.group("max")) or "less" in post or "max" in post
            bound = "max" if lower else "min" if cue or post else "max" if info.base in LOWER_IS_BETTER else "min"
            number = value * factor
            prefs.must_have[info.name] = {bound: int(number) if number.is_integer() else number}
        text = blank(text, (m.start() - (len(cue.group()) if cue else 0), m.end()))  # never read later as a price
    return text


def find_measures(text: str, prefs: Preferences) -> str:
    """Amounts the shop's typed attributes did not take ("1 kg sugar", "65 inch tv"): matched against the products'
    own text, and never read later as a price or a kind of product ("3 litre" is no "litre")."""
    for _, span, said in measures.amounts(text):
        prefs.measures.append(said)
        text = blank(text, span)
    return text


def find_budget(text: str, prefs: Preferences, shop_currency: str = "USD", rates: dict[str, float] | None = None,
                unconverted: list[str] | None = None) -> str:
    """Price limits in the shop currency: an amount in another currency ("under $10" in a rupee shop) is converted
    with the shop's rates, or not read as a limit when the shop has no rate for it (its code goes to `unconverted`,
    so the reply can ask for the budget in the shop's currency). Percentages are never money."""
    text = PERCENT_RE.sub(lambda m: " " * len(m.group()), text)
    priced = bool(PRICED_RE.search(text))
    for kind, pattern in BUDGET_PATTERNS:
        for m in list(pattern.finditer(text)):
            if kind.endswith("?") and not (priced if kind == "range?" else PRICED_RE.search(m.group())):
                continue
            values = []
            for group in (g for g in m.groups() if g):
                number, scale = AMOUNT_RE.search(group).groups()  # type: ignore[union-attr]
                code = currency.code_of(group, shop_currency)
                value = currency.in_shop_currency(float(number) * (1000 if scale else 1), code, shop_currency, rates or {})
                if value is not None:
                    values.append(value)
                elif unconverted is not None:
                    unconverted.append(code)
            text = blank(text, m.span())
            if len(values) < len(m.groups()) - list(m.groups()).count(None):
                continue  # a currency the shop has no rate for: no limit rather than a wrong one
            if kind.startswith("range"):
                prefs.budget_min, prefs.budget_max = min(values), max(values)
            elif kind.startswith("max"):
                prefs.budget_max = values[0]
            elif kind == "min":
                prefs.budget_min = values[0]
            else:  # "around 200": about ±20%
                prefs.budget_min, prefs.budget_max = round(values[0] * 0.8, 2), round(values[0] * 1.2, 2)
    return text


def find_brands(text: str, prefs: Preferences, vocab: Vocabulary) -> str:
    for m in vocab.patterns["brand"].finditer(text) if vocab.patterns.get("brand") else ():
        brand = vocab.brands[compact(m.group())]
        target = prefs.avoid_brands if negated(text, m.start()) else prefs.brands
        if brand not in target:
            target.append(brand)
        text = blank(text, m.span())
    return text


# "something from huawei": a maker the shop has never heard of is still a wish, so the reply can say none matches
# rather than show the same products as if it had not been said.
MAKER_RE = re.compile(r"\b(?:from|by|brand)\s+([a-z][a-z0-9&'-]{2,})\b(?!\s*\d)")


def find_unknown_brand(text: str, prefs: Preferences, vocab: Vocabulary) -> str:
    if prefs.brands:
        return text
    for m in MAKER_RE.finditer(text):
        word = m.group(1)
        if word in KIND_STOP or word in english_words() or stem(word) in vocab.text_words or typo_of_english(word):
            continue
        prefs.brands.append(word.capitalize())
        return blank(text, m.span())
    return text


def apply_comparatives(text: str, prefs: Preferences, base: list[Product], vocab: Vocabulary) -> bool:
    """"cheaper" -> below the cheapest shown (or referenced) price; "lighter" -> below the lightest. True if any was said."""
    said = False
    for pattern, name, bound in COMPARATIVES:
        if not pattern.search(text):
            continue
        said = True
        if name == "price":
            if base and bound == "max" and prefs.budget_max is None:
                prefs.budget_max = round(min(p.price for p in base) - 0.01, 2)
            elif base and bound == "min" and prefs.budget_min is None:
                prefs.budget_min = round(max(p.price for p in base) + 0.01, 2)
            continue
        names = [a for a, i in vocab.attributes.items() if i.kind == "number" and not i.bound and name in i.base.split()]
        values = {a: [p.attributes[a] for p in base if isinstance(p.attributes.get(a), (int, float))] for a in names}
        if any(values.values()) and not any(a in prefs.must_have for a in names):
            attr = max(values, key=lambda a: len(values[a]))
            step = 1 if all(isinstance(v, int) for v in values[attr]) else 0.1
            prefs.must_have[attr] = {"max": min(values[attr]) - step} if bound == "max" else {"min": max(values[attr]) + step}
    return said


def find_intent(text: str, state: DialogueState, prefs: Preferences, refs: list[str], order_id: str | None,
                comparative: bool, reset: bool, known_kind: bool = False) -> tuple[Intent, str | None, bool]:
    """The first matching rule wins; the order says which reading is safer when several fit. The flag says whether
    a specific rule matched; False is a guess (a weak cue, or only the default), which a fine-tuned reader may settle."""
    # "it" and "them" point at products only once some were shown ("it's a present for a friend" asks for one).
    # A kind asked for before is what "it" is, even one the shop does not carry ("what is it about?" of a book).
    pointing = bool(refs) or ((bool(state.shown) or bool(state.preferences.kind)) and bool(PRONOUN_RE.search(text) or PLURAL_PRONOUN_RE.search(text)))
    context = bool(state.shown) or not state.preferences.is_empty()
    strong_faq = bool(FAQ_RE.search(text))
    faq = strong_faq or bool(FAQ_WEAK_RE.search(text) and prefs.category is None and not refs)
    if STRONG_OOS_RE.search(text):
        return Intent.OUT_OF_SCOPE, None, True
    if HUMAN_RE.search(text):
        return Intent.HUMAN, None, True
    if ORDER_RE.search(text) or (order_id and not faq):
        return Intent.ORDER_STATUS, None, True
    if CART_ADD_RE.search(text) or (BUY_RE.search(text) and pointing and not faq):
        return Intent.CART, "add", True
    if CART_REMOVE_RE.search(text):
        return Intent.CART, "remove", True
    if faq and not (prefs.kind and DELIVER_ASK_RE.search(text)):  # "do you deliver eggs?" asks for eggs
        return Intent.FAQ, None, strong_faq
    if CART_SHOW_RE.search(text):
        return Intent.CART, "show", True
    if COMPARE_RE.search(text) or (len(refs) >= 2 and re.search(r"\b(?:better|which|or)\b", text)):
        return Intent.COMPARE, None, True
    if comparative and context:
        return Intent.REFINE, None, True
    if state.shown and OTHER_OPTIONS_RE.search(text):
        return Intent.REFINE, None, True  # "is there another option?" asks for more, not about the ones shown
    # "do you sell a case for it?" asks for another kind of product, not about the one shown.
    other_kind = bool(SHOP_RE.search(text)) and ((prefs.category is not None and prefs.category != state.preferences.category)
                                                 or (bool(prefs.kind) and prefs.kind != state.preferences.kind))
    if pointing and QUESTION_RE.search(text) and not other_kind:
        return Intent.PRODUCT_QUESTION, None, True
    if state.shown and "?" in text and QUESTION_RE.search(text) and not SHOP_RE.search(text) and not (prefs.category or prefs.kind) \
            and not REFINE_RE.search(text):
        return Intent.PRODUCT_QUESTION, None, False  # "how many cameras?" with phones shown: about them, most likely
    # ("need tick and flea medicine" asks for a product in a shop whose titles name medicines)
    if WEAK_OOS_RE.search(text) and prefs.category is None and not refs and not (known_kind and ASK_RE.search(text)):
        return Intent.OUT_OF_SCOPE, None, False
    if not context and QUESTION_WORD_RE.match(text.strip()) and not REQUEST_RE.search(text) and not CHITCHAT_RE.search(text.strip()) and not (
            prefs.category or prefs.kind or prefs.brands or prefs.recipient or prefs.budget_max is not None or prefs.budget_min is not None):
        return Intent.OUT_OF_SCOPE, None, False  # "what are black holes", "is there a vaccine for ebola": no product asked
    if HOWTO_ORDER_RE.search(text) and prefs.is_empty():
        return Intent.FAQ, None, False
    if THANKS_RE.search(text) and not SHOP_RE.search(text) and replace(prefs, use_case=None, recipient=None).is_empty():
        return Intent.CHITCHAT, None, True  # "thanks, you should get a bonus for being a good service" asks for nothing
    if state.asked_clarification and not state.shown and not state.preferences.is_empty() and prefs.is_empty() \
            and (ANSWER_RE.match(text.strip()) or len(text.split()) <= 5 and not QUESTION_RE.search(text)) \
            and not CLOSING_RE.search(text):
        # "yes", "not sure", "ohh." after our one question: show what fits the request so far, never ask again
        return Intent.REFINE, None, True
    if not prefs.is_empty() or SHOP_RE.search(text) or comparative or reset or (context and REFINE_RE.search(text)):
        changed = (prefs.category is not None and prefs.category != state.preferences.category) or (
            bool(prefs.kind) and prefs.kind != state.preferences.kind)
        intent = Intent.REFINE if context and not changed and not reset else Intent.RECOMMEND
        # A kind of product the shop's own titles name ("amul butter") is as sure as a category; a budget or a feature
        # alone ("rebating $12") is a guess.
        certain = prefs.category is not None or known_kind or bool(SHOP_RE.search(text) or prefs.kind and ASK_RE.search(text)) or comparative or bool(context and REFINE_RE.search(text))
        return intent, None, certain
    if CHITCHAT_RE.search(text.strip()):
        return Intent.CHITCHAT, None, True
    return (Intent.PRODUCT_QUESTION if refs else Intent.CHITCHAT), None, False


def named_products(message: str, vocab: Vocabulary) -> list[str]:
    """The products a message names by model number or id ("tell me about the kx870")."""
    return find_identifiers(vocab.normalize(message[:MAX_CHARS]), vocab)[3]


def wishes_for(intent: Intent, prefs: Preferences) -> Preferences:
    """The wishes a reading keeps for its intent: all of them for shopping, the category for a policy question
    ("returns for headphones": it may pick the policy), none for the rest."""
    if intent == Intent.FAQ:
        return Preferences(category=prefs.category)
    if intent in (Intent.RECOMMEND, Intent.REFINE, Intent.PRODUCT_QUESTION, Intent.COMPARE):
        return prefs
    return Preferences()


def parse(message: str, state: DialogueState, vocab: Vocabulary,
          products_by_id: dict[str, Product] | None = None) -> Understanding:
    """Read one message into an `Understanding` (source "rules"); empty input is chitchat with no wishes.

    Wishes are kept for recommend/refine/compare/product_question (for a question they name what is asked
    about: "is it waterproof?" -> waterproof), only the category for an FAQ, none for the other intents.
    Model numbers come from the vocabulary; with `products_by_id`, references are checked against it and
    comparatives ("cheaper", "lighter") get numbers from the products shown or referenced.
    """
    if not message or not message.strip():
        return Understanding(intent=Intent.CHITCHAT, source="rules")
    question = question_words(message[:MAX_CHARS])
    said = cues(message)
    if said.refusal:
        return Understanding(intent=Intent.OUT_OF_SCOPE, source="rules", question=question, cues=said)
    text = vocab.normalize(message[:MAX_CHARS])
    work, order_id, email, refs = find_identifiers(text, vocab)
    refs += find_references(work, state)
    prefs = Preferences(category=find_category(work, vocab))
    find_recipient(work, prefs)
    find_use_case(work, prefs, vocab)
    work = find_measures(find_attributes(work, prefs, vocab), prefs)
    unconverted: list[str] = []
    work = find_brands(find_budget(work, prefs, vocab.currency, vocab.rates, unconverted), prefs, vocab)
    work = find_unknown_brand(work, prefs, vocab)
    disliked = bool(state.shown) and bool(DISLIKE_RE.search(work))
    if prefs.category is None and not disliked:  # a shop whose categories the vocabulary names needs no other type
        find_kind(work, prefs, vocab, state)
    if products_by_id is not None:
        refs = [r for r in dict.fromkeys(refs) if r in products_by_id]
    base = [products_by_id[r] for r in (refs or state.shown) if r in products_by_id] if products_by_id else []
    comparative = apply_comparatives(work, prefs, base, vocab)
    old = state.preferences.category
    reset = bool(RESET_RE.search(text)) or (prefs.category is not None and old is not None and prefs.category != old)
    flags = vocab.patterns.get("flag")  # "noise cancelling" is no cancellation
    plain = flags.sub(lambda m: " " * len(m.group()), text) if flags else text
    known_kind = any(vocab.kinds.get(stem(k.split()[-1])) for k in prefs.kind)  # a kind the shop's titles name
    intent, action, certain = find_intent(plain, state, prefs, refs, order_id, comparative, reset, known_kind)
    if disliked and intent in (Intent.CHITCHAT, Intent.PRODUCT_QUESTION, Intent.RECOMMEND, Intent.REFINE):
        intent, certain = Intent.REFINE, True
    more = intent == Intent.REFINE and (disliked or (prefs.is_empty() and bool(MORE_RE.search(plain))))
    if intent in (Intent.PRODUCT_QUESTION, Intent.CART, Intent.COMPARE) and not refs:
        if intent == Intent.COMPARE and not prefs.brands or PLURAL_PRONOUN_RE.search(plain):
            refs = list(state.shown)  # "compare them", "which one is lighter?", "are they waterproof?"
        elif PRONOUN_RE.search(plain) and (single := last_discussed(state)):
            refs = [single]
    return Understanding(intent=intent, preferences=wishes_for(intent, prefs), product_refs=refs, cart_action=action, order_id=order_id, email=email,
                         reset_preferences=reset and intent in (Intent.RECOMMEND, Intent.REFINE), source="rules",
                         guessed=not certain, exclude_shown=more, question=question, no_rate=next(iter(unconverted), ""),
                         remark=remark(text.strip()), cues=said)


def asked_of(message: str, state: DialogueState, vocab: Vocabulary, products_by_id: dict[str, Product],
             ids: list[str]) -> dict[str, Preferences]:
    """For a question about the products `ids`: the wishes it names of each once that product's title words are
    taken out of it (only where that leaves something else to read)."""
    asked = {}
    for pid in ids:
        title_words = set(re.findall(r"\w+", products_by_id[pid].title.lower()))
        question = " ".join(w for w in re.findall(r"\S+", message.lower()) if re.sub(r"\W", "", w) not in title_words)
        if question != message.lower().strip():
            asked[pid] = parse(question, state, vocab, products_by_id).preferences
    return asked


def cues(message: str) -> Cues:
    """The rest of what the whole message says, beside its intent and wishes (`Cues`; `maybe_policy` is set by
    `understand`, which sees the final reading)."""
    quantity = QTY_RE.search(message)
    return Cues(is_question=bool(QUESTION_RE.search(message)), asks=[name for name, ask in ASKS_RE.items() if ask.search(message)],
                quantity=(WORD_QTY.get(quantity.group(1).lower()) or int(quantity.group(1))) if quantity else None,
                just_show=bool(JUST_SHOW_RE.search(message.lower())), language="other" if foreign_language(message) else "en",
                cut=len(message) > MAX_CHARS, refusal=refusal(message[:MAX_CHARS]) or "")


def foreign_language(message: str) -> bool:
    words = re.findall(r"[^\W\d_]+", message.lower())
    if not words:
        return False
    non_latin = sum(1 for w in words if not re.fullmatch(r"[a-zà-ÿ]+", w))
    foreign = sum(1 for w in words if w in FOREIGN_WORDS)
    english = sum(1 for w in words if w in ENGLISH_WORDS)
    return non_latin > len(words) / 2 or (foreign >= 2 and foreign > english)


def remark(text: str) -> str:
    """What small talk the message is, so that the reply answers it as such ("" when it says more than that)."""
    for name, pattern in (("closing", CLOSING_RE), ("thanks", THANKS_RE), ("how_are_you", HOW_ARE_YOU_RE),
                          ("hello", HELLO_RE), ("declined", DECLINE_RE), ("liked", LIKED_RE)):
        if pattern.search(text):
            return name
    return "brief" if len(text.split()) <= BRIEF_WORDS else ""


# ---- evaluation on labelled customer-support requests -------------------------------------------
SUPPORT_INTENTS = {"track_order": Intent.ORDER_STATUS, "delivery_period": Intent.ORDER_STATUS,
                   "contact_human_agent": Intent.HUMAN, "contact_customer_service": Intent.HUMAN}  # all others: policy (FAQ)


def eval_support(path: str) -> float:
    """Intent accuracy on a CSV with `instruction` and `intent` columns (the dataset's 27 intents mapped to ours)."""
    import csv
    from collections import Counter

    from knowledge.loaders import embedded_shop_files, load_catalog

    vocab = Vocabulary.from_products(load_catalog(embedded_shop_files()["catalog"]).records)
    with open(path, newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    start = time.perf_counter()
    results = [(row["intent"], parse(row["instruction"], DialogueState("eval"), vocab).intent) for row in rows]
    each = (time.perf_counter() - start) * 1000 / max(1, len(rows))
    total = Counter(name for name, _ in results)
    right = Counter(name for name, got in results if got == SUPPORT_INTENTS.get(name, Intent.FAQ))
    misses = Counter(f"{name}->{got.value}" for name, got in results if got != SUPPORT_INTENTS.get(name, Intent.FAQ))
    accuracy = sum(right.values()) / max(1, len(rows))
    print(f"intent accuracy {accuracy:.3f} on {len(rows)} requests ({each:.2f} ms each)")
    for name in sorted(total):
        print(f"  {name:26} {right[name] / total[name]:.2f} of {total[name]}")
    print("most common confusions:", ", ".join(f"{k} {n}" for k, n in misses.most_common(6)))
    return accuracy


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--eval-support":
        eval_support(sys.argv[2])
    else:
        sys.exit("usage: python -m assistant.rules --eval-support PATH.csv")

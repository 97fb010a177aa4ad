"""The network's name in the add-on's own words.

The add-on is written for MLML, and its labels, menus and messages say
"MLML". A member of another network (WIR, Sardex…) names its network in the
company's settings: every label that names the network is then read with that
name. Only the word itself is replaced, never a longer word or a code that
contains it (``mlml_amount``, ``MLML-0042``).
"""

import re

from .amounts import RuleError

DEFAULT_NETWORK = "MLML"
MAX_LENGTH = 30

_WORD = re.compile(r"(?<![\w-])MLML(?![\w-])")
# English says "an MLML payment" but "a WIR payment".
_ARTICLE = re.compile(r"\b([Aa])n (?=MLML(?![\w-]))")
_VOWEL_SOUND = re.compile(r"^[AEIOUaeiou]")


def check_name(name):
    """Return the network's name, stripped; refuse an empty or overlong one."""
    cleaned = (name or "").strip()
    if not cleaned:
        raise RuleError("network_name_empty")
    if len(cleaned) > MAX_LENGTH:
        raise RuleError("network_name_too_long", length=len(cleaned), max_length=MAX_LENGTH)
    return cleaned


def rename(text, network):
    """``text`` with the network's default name replaced by ``network``."""
    if not text or not network or network == DEFAULT_NETWORK or "MLML" not in text:
        return text
    if not _VOWEL_SOUND.match(network):
        text = _ARTICLE.sub(lambda match: f"{match.group(1)} ", text)
    return _WORD.sub(lambda _match: network, text)

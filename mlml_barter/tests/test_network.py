import pytest
from hypothesis import (
    given,
    strategies as st,
)

from ..amounts import RuleError
from ..network import DEFAULT_NETWORK, check_name, rename


def test_labels_take_the_network_name():
    assert rename("MLML Part", "WIR") == "WIR Part"
    assert rename("Part MLML", "Sardex") == "Part Sardex"
    assert rename("Relevé du compte MLML (MLML)", "WIR") == "Relevé du compte WIR (WIR)"
    assert rename("MLML", "WIR") == "WIR"


def test_english_articles_follow_the_name():
    assert rename("An MLML payment; an MLML part", "WIR") == "A WIR payment; a WIR part"
    assert rename("An MLML payment", "Sardex") == "A Sardex payment"
    assert rename("An MLML payment", "Eusko") == "An Eusko payment"
    assert rename("Un paiement MLML", "WIR") == "Un paiement WIR"


def test_codes_and_longer_words_are_kept():
    assert rename("mlml_amount", "WIR") == "mlml_amount"
    assert rename("member MLML-0042", "WIR") == "member MLML-0042"
    assert rename("MLMLS", "WIR") == "MLMLS"
    assert rename("XMLML", "WIR") == "XMLML"


def test_the_default_name_changes_nothing():
    assert rename("MLML Part", DEFAULT_NETWORK) == "MLML Part"
    assert rename("", "WIR") == ""
    assert rename(None, "WIR") is None
    assert rename("MLML Part", "") == "MLML Part"


def test_names_are_checked():
    assert check_name("  WIR ") == "WIR"
    with pytest.raises(RuleError) as caught:
        check_name("   ")
    assert caught.value.code == "network_name_empty"
    with pytest.raises(RuleError) as caught:
        check_name("W" * 31)
    assert caught.value.code == "network_name_too_long"


@given(st.text(alphabet=st.characters(blacklist_characters="M")))
def test_text_without_the_name_is_untouched(text):
    assert rename(text, "WIR") == text


@given(st.lists(st.sampled_from(["MLML", " ", "part", "(", ")", ":", "é"]), max_size=12))
def test_every_standalone_word_is_replaced(words):
    text = "".join(words)
    renamed = rename(text, "WIR")
    # No standalone MLML is left, and nothing else moved.
    assert rename(renamed, "WIR") == renamed
    assert renamed.replace("WIR", "MLML") == text

"""The key a Cyclos payment carries in its description, read back whatever the text."""

from hypothesis import (
    given,
    strategies as st,
)

from ..cyclos import describe, read_description


def test_a_description_reads_back():
    text = describe("FAC/2026/0042", "Nettoyage mars", "pay-0042")
    assert text == "FAC/2026/0042\nNettoyage mars\n[mlml-key:pay-0042]"
    assert read_description(text) == ("FAC/2026/0042", "Nettoyage mars", "pay-0042")
    assert read_description("Facture 12\nBuffet") == ("Facture 12", "Buffet", None)
    assert read_description("") == ("", "", None)


@given(
    reference=st.text(alphabet=st.characters(exclude_characters="\n\r"), max_size=30),
    memo=st.text(alphabet=st.characters(exclude_characters="\r"), max_size=30),
    key=st.from_regex(r"\A[\x21-\x7e]{1,40}\Z"),
)
def test_the_key_comes_back_from_the_description(reference, memo, key):
    got_reference, got_memo, got_key = read_description(describe(reference, memo, key))
    assert got_key == key
    if reference.strip():
        assert got_reference == reference.strip()
        assert got_memo == memo.strip()

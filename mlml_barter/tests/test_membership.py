from datetime import date

import pytest
from hypothesis import (
    given,
    strategies as st,
)

from mlml_barter.amounts import RuleError
from mlml_barter.membership import (
    ACTIVE,
    CANDIDATE,
    NONE,
    RESIGNED,
    STATES,
    SUSPENDED,
    TRANSITIONS,
    check_transition,
    may_trade,
)

CHARTER = date(2026, 1, 15)


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (NONE, CANDIDATE),
        (CANDIDATE, ACTIVE),
        (CANDIDATE, RESIGNED),
        (CANDIDATE, NONE),
        (ACTIVE, SUSPENDED),
        (ACTIVE, RESIGNED),
        (SUSPENDED, ACTIVE),
        (SUSPENDED, RESIGNED),
        (RESIGNED, CANDIDATE),
    ],
)
def test_allowed_transitions(old, new):
    check_transition(old, new, "MLML-0042", CHARTER)


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (NONE, ACTIVE),
        (NONE, SUSPENDED),
        (RESIGNED, ACTIVE),
        (RESIGNED, NONE),
        (RESIGNED, SUSPENDED),
        (ACTIVE, CANDIDATE),
        (SUSPENDED, CANDIDATE),
    ],
)
def test_refused_transitions_name_the_allowed_ones(old, new):
    with pytest.raises(RuleError) as err:
        check_transition(old, new, "MLML-0042", CHARTER)
    assert err.value.code == "member_transition_refused"
    assert err.value.params["allowed"] == tuple(sorted(TRANSITIONS[old]))


@pytest.mark.parametrize(
    ("number", "charter", "missing"),
    [
        (None, CHARTER, ("member_number",)),
        ("MLML-0042", None, ("charter_date",)),
        ("", None, ("member_number", "charter_date")),
    ],
)
def test_activation_needs_number_and_charter(number, charter, missing):
    with pytest.raises(RuleError) as err:
        check_transition(CANDIDATE, ACTIVE, number, charter)
    assert err.value.code == "member_activation_incomplete"
    assert err.value.params["missing"] == missing


@given(st.sampled_from(STATES))
def test_staying_in_a_state_is_always_allowed(state):
    check_transition(state, state)


@given(st.sampled_from(STATES), st.sampled_from(STATES))
def test_every_state_but_active_cannot_trade(old, new):
    assert may_trade(new) == (new == ACTIVE)


def test_a_resigned_member_only_comes_back_as_a_candidate():
    assert TRANSITIONS[RESIGNED] == {CANDIDATE}

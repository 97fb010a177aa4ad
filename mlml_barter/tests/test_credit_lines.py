from datetime import date
from decimal import Decimal

import pytest
from hypothesis import (
    given,
    strategies as st,
)

from mlml_barter.amounts import RuleError
from mlml_barter.credit_lines import (
    APPROVED,
    CLOSED,
    DECIDED,
    DRAFT,
    KEPT,
    MAX_BOUND,
    REFUSED,
    STATES,
    SUBMITTED,
    TRANSITIONS,
    check_created_state,
    check_transition,
    check_values,
    in_force,
)
from mlml_barter.membership import ACTIVE, CANDIDATE, RESIGNED, SUSPENDED

JAN = date(2026, 1, 1)
JUN = date(2026, 6, 1)


def test_values_of_a_line():
    check_values(1000, 1000, JAN, JUN)
    check_values(0, 0, JAN, None)
    check_values(Decimal("1000.50"), 0, JAN, JAN)


@pytest.mark.parametrize(
    ("limit", "ceiling", "start", "review", "code"),
    [
        (-1, 0, JAN, None, "credit_limit_negative"),
        (0, Decimal("-0.01"), JAN, None, "balance_ceiling_negative"),
        (1000, 1000, JUN, JAN, "review_before_start"),
    ],
)
def test_bad_values_refused(limit, ceiling, start, review, code):
    with pytest.raises(RuleError) as err:
        check_values(limit, ceiling, start, review)
    assert err.value.code == code


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (DRAFT, SUBMITTED),
        (SUBMITTED, APPROVED),
        (SUBMITTED, REFUSED),
        (SUBMITTED, DRAFT),
        (APPROVED, CLOSED),
        (REFUSED, DRAFT),
    ],
)
def test_allowed_decisions(old, new):
    check_transition(old, new, ACTIVE)


@given(st.sampled_from(STATES), st.sampled_from(STATES))
def test_decisions_follow_the_table(old, new):
    if new in TRANSITIONS[old]:
        check_transition(old, new, ACTIVE)
    else:
        with pytest.raises(RuleError) as err:
            check_transition(old, new, ACTIVE)
        assert err.value.code == "line_transition_refused"


@pytest.mark.parametrize("member_state", [None, "none", CANDIDATE, SUSPENDED, RESIGNED])
def test_only_active_members_get_a_line_approved(member_state):
    with pytest.raises(RuleError) as err:
        check_transition(SUBMITTED, APPROVED, member_state)
    assert err.value.code == "line_member_not_active"
    assert err.value.params == {"member_state": member_state}


def test_kept_lines_never_go_back():
    for state in KEPT:
        assert not TRANSITIONS[state] & {DRAFT, SUBMITTED, REFUSED}


def test_a_line_is_in_force_from_its_start_even_past_its_review():
    assert in_force(APPROVED, JAN, JUN)
    assert in_force(APPROVED, JUN, JUN)
    assert not in_force(APPROVED, JUN, JAN)
    assert not in_force(SUBMITTED, JAN, JUN)
    assert not in_force(CLOSED, JAN, JUN)


@pytest.mark.parametrize(
    ("limit", "ceiling", "code"),
    [
        (Decimal(10**9) + Decimal("0.01"), 0, "credit_limit_too_large"),
        (0, 10**12, "balance_ceiling_too_large"),
        (float("nan"), 0, "not_a_number"),
        (0, float("inf"), "not_a_number"),
        ("mille", 0, "not_a_number"),
    ],
)
def test_absurd_figures_refused(limit, ceiling, code):
    with pytest.raises(RuleError) as err:
        check_values(limit, ceiling, JAN, None)
    assert err.value.code == code


def test_the_largest_sensible_line_is_accepted():
    check_values(MAX_BOUND, MAX_BOUND, JAN, None)


@given(
    st.decimals(min_value=0, max_value=Decimal("1e12"), places=2, allow_nan=False),
    st.decimals(min_value=0, max_value=Decimal("1e12"), places=2, allow_nan=False),
)
def test_figures_accepted_iff_within_bounds(limit, ceiling):
    if limit <= MAX_BOUND and ceiling <= MAX_BOUND:
        check_values(limit, ceiling, JAN, None)
    else:
        with pytest.raises(RuleError) as err:
            check_values(limit, ceiling, JAN, None)
        assert err.value.code.endswith("_too_large")


@pytest.mark.parametrize("state", [SUBMITTED, APPROVED, REFUSED, CLOSED, "anything"])
def test_a_line_is_created_as_a_draft(state):
    with pytest.raises(RuleError) as err:
        check_created_state(state)
    assert err.value.code == "line_created_decided"
    assert err.value.params == {"state": state}
    check_created_state(DRAFT)
    check_created_state(None)


def test_decided_lines_include_the_kept_ones():
    assert KEPT <= DECIDED
    assert DRAFT not in DECIDED and SUBMITTED not in DECIDED

"""The members' API reads what a client sends strictly, and tells a member
nothing of another member's account: the attacks of the security review,
replayed through real HTTP as the member who tried them."""

import json
import re

from odoo.exceptions import UserError
from odoo.tests import HttpCase, tagged

from odoo.addons.mlml_barter.mlml_barter import api_spec, wire

from . import test_clearing_api
from .test_clearing_ledger import ClearingHouseCommon

MEMBER_NUMBER = api_spec.MAX_TEXT["member_number"]
#: The bodies of the four operations that read one, each text field with its limit.
TEXTS = {
    "createTransfer": {
        "payee": MEMBER_NUMBER,
        "reference": api_spec.MAX_TEXT["reference"],
        "memo": api_spec.MAX_TEXT["memo"],
    },
    "createPaymentRequest": {"payer": MEMBER_NUMBER, "reference": api_spec.MAX_TEXT["reference"]},
    "refusePaymentRequest": {"reason": api_spec.MAX_TEXT["reason"]},
    "declareObligation": {
        "invoice": api_spec.MAX_TEXT["invoice"],
        "creditor": MEMBER_NUMBER,
        "debtor": MEMBER_NUMBER,
        "currency": api_spec.MAX_TEXT["currency"],
    },
}
FIVE_MB = 5 * 1024 * 1024


@tagged("post_install", "-at_install")
class TestClearingApiInput(ClearingHouseCommon, HttpCase):
    """Input hygiene, figures of others and the commission, through real HTTP."""

    call = test_clearing_api.TestClearingApi.call
    pay = test_clearing_api.TestClearingApi.pay
    assert_problem = test_clearing_api.TestClearingApi.assert_problem

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.key_alpha = cls.alpha.mlml_generate_api_key()
        cls.key_beta = cls.beta.mlml_generate_api_key()
        cls.key_gamma = cls.gamma.mlml_generate_api_key()
        cls.Request = cls.env["mlml.payment.request"]
        cls.Obligation = cls.env["mlml.obligation"]

    def setUp(self):
        super().setUp()
        # Beta asks Alpha to pay: the request Alpha may refuse.
        asked = self.call(
            "POST", "/payment-requests", self.key_beta, {"payer": "CH-A", "amount": "5.00"}
        )
        self.assertEqual(asked.status_code, 201, asked.text)
        self.open_request = asked.json()["id"]

    def request_of(self, operation, body, idem="attack", raw=None, headers=None):
        """Send ``body`` (or ``raw``) to ``operation`` as the member allowed to call it."""
        path, key, extra = {
            "createTransfer": ("/transfers", self.key_alpha, {"Idempotency-Key": idem}),
            "createPaymentRequest": ("/payment-requests", self.key_beta, {}),
            "refusePaymentRequest": (
                f"/payment-requests/{self.open_request}/refuse",
                self.key_alpha,
                {},
            ),
            "declareObligation": ("/obligations", self.key_alpha, {}),
        }[operation]
        return self.call("POST", path, key, body, raw=raw, headers={**extra, **(headers or {})})

    def good_body(self, operation):
        return {
            "createTransfer": {
                "payee": "CH-B",
                "amount": "10.00",
                "reference": "FAC/1",
                "memo": "merci",
            },
            "createPaymentRequest": {
                "payer": "CH-A",
                "amount": "10.00",
                "reference": "FAC/2",
                "due_date": "2026-12-31",
            },
            "refusePaymentRequest": {"reason": "pas commandé"},
            "declareObligation": {
                "invoice": "FAC/3",
                "creditor": "CH-A",
                "debtor": "CH-B",
                "amount": "10.00",
                "currency": "EUR",
                "due_date": "2026-12-31",
            },
        }[operation]

    def state(self):
        """What an attack must leave as it was: the ledger, the requests, the obligations."""
        self.env.invalidate_all()
        return (
            self.ledger_count(),
            self.balances(),
            self.Request.search_count([]),
            self.Request.browse(self.open_request).state,
            self.Obligation.search_count([]),
        )

    # ------------------------------------------------------------------
    # Attack 7: the answers told a payer the payee's balance and ceiling
    # ------------------------------------------------------------------

    def test_attack_7_a_payee_that_cannot_receive_is_refused_without_its_figures(self):
        self.book(self.gamma, self.beta, 1400)  # Beta: 1,400 of a 1,500 ceiling
        before = self.state()
        for lang in ("en", "fr-FR,fr;q=0.9"):
            with self.subTest(lang=lang):
                problem = self.assert_problem(
                    self.pay(
                        self.key_alpha,
                        {"payee": "CH-B", "amount": "200.00"},
                        idem=f"ceiling-{lang[:2]}",
                        headers={"Accept-Language": lang},
                    ),
                    422,
                    "payee_cannot_receive",
                    "Beta Imprimerie",
                )
                self.assert_says_nothing_of_the_payee(problem)
        self.assertEqual(self.state(), before)
        # The same refusal when Alpha accepts a request of Beta's.
        asked = self.call(
            "POST", "/payment-requests", self.key_beta, {"payer": "CH-A", "amount": "200.00"}
        ).json()
        before = self.state()
        problem = self.assert_problem(
            self.call(
                "POST",
                f"/payment-requests/{asked['id']}/accept",
                self.key_alpha,
                headers={"Idempotency-Key": "accept-200"},
            ),
            422,
            "payee_cannot_receive",
            "Beta Imprimerie cannot receive 200.00",
        )
        self.assert_says_nothing_of_the_payee(problem)
        self.assertEqual(self.state(), before)
        self.assertEqual(self.balances(self.alpha, self.beta), (0.0, 1400.0))

    def assert_says_nothing_of_the_payee(self, problem):
        """No figure but the caller's own amount: not in the fields, not in the text."""
        self.assertEqual(set(problem), {"type", "title", "status", "detail", "code"})
        self.assertNotRegex(re.sub(r"200[.,]00", "", problem["detail"]), r"\d")

    def test_attack_7_the_clearing_house_staff_still_read_the_payee_s_figures(self):
        self.book(self.gamma, self.beta, 1400)
        staff = self.create_user(
            "ch_staff_figures", "base.group_user,mlml_barter.group_mlml_clearing_staff"
        )
        wizard = (
            self.env["mlml.transfer.wizard"]
            .with_user(staff)
            .create({"payer_id": self.alpha.id, "payee_id": self.beta.id, "amount": 200.0})
        )
        # A plain message for the staff, with the payee's figures.
        with self.assertRaises(UserError) as caught:
            wizard.action_confirm()
        message = str(caught.exception)
        for text in (
            "Beta Imprimerie cannot receive 200.00",
            "its balance is 1,400.00",
            "its ceiling 1,500.00",
            "so 100.00",
        ):
            self.assertIn(text, message)
        self.assertEqual(self.balances(self.alpha, self.beta), (0.0, 1400.0))

    def test_attack_7_the_payer_s_own_refusal_keeps_its_own_figures(self):
        self.book(self.alpha, self.gamma, 900)
        problem = self.assert_problem(
            self.pay(self.key_alpha, {"payee": "CH-B", "amount": "150.00"}, idem="own"),
            422,
            "payer_below_credit_limit",
            "its balance is -900.00",
        )
        self.assertEqual(
            {k: problem[k] for k in ("balance", "credit_limit", "missing")},
            {"balance": "-900.00", "credit_limit": "1000.00", "missing": "50.00"},
        )

    # ------------------------------------------------------------------
    # Attack 9: text that is not Unicode, control characters, long texts,
    # large bodies and repeated keys (a 500, or read two ways)
    # ------------------------------------------------------------------

    def test_attack_9_a_lone_surrogate_in_any_text_field_is_a_400_naming_it(self):
        before = self.state()
        for operation in TEXTS:
            body = self.good_body(operation)
            for field in body:
                for text in ("\ud800", "FAC\udfff/1"):
                    with self.subTest(operation=operation, field=field, text=ascii(text)):
                        # json.dumps writes the surrogate as the escape "\ud800".
                        raw = json.dumps({**body, field: text})
                        self.assertIn("\\ud", raw)
                        problem = self.assert_problem(
                            self.request_of(operation, None, raw=raw),
                            400,
                            "field_not_unicode",
                            f"“{field}”",
                        )
                        self.assertEqual(problem["field"], field)
            # In a key, at any depth, too.
            raw = json.dumps({**body, "extra": [{"\udc00": "x"}]})
            problem = self.assert_problem(
                self.request_of(operation, None, raw=raw), 400, "field_not_unicode"
            )
            self.assertEqual(problem["field"], "extra[0].\\udc00")
        self.assertEqual(self.state(), before)

    def test_attack_9_a_control_character_in_any_text_field_is_a_400_naming_it(self):
        before = self.state()
        for operation, fields in TEXTS.items():
            body = self.good_body(operation)
            for field in fields:
                for text in ("a\x00b", "FAC\x1b[31m", "a\rb", "a\x7fb", "a\x85b"):
                    with self.subTest(operation=operation, field=field, text=ascii(text)):
                        problem = self.assert_problem(
                            self.request_of(operation, {**body, field: text}),
                            400,
                            "field_invalid_character",
                            f"“{field}”",
                        )
                        self.assertEqual(problem["field"], field)
        self.assertEqual(self.state(), before)
        # Tab and newline are text.
        made = self.pay(
            self.key_alpha, {"payee": "CH-B", "amount": "1.00", "memo": "ligne 1\n\tligne 2"}
        )
        self.assertEqual(made.status_code, 201, made.text)
        self.assertEqual(made.json()["memo"], "ligne 1\n\tligne 2")

    def test_attack_9_a_text_longer_than_its_limit_is_a_400_naming_it(self):
        before = self.state()
        for operation, fields in TEXTS.items():
            body = self.good_body(operation)
            for field, limit in fields.items():
                with self.subTest(operation=operation, field=field):
                    problem = self.assert_problem(
                        self.request_of(operation, {**body, field: "x" * (limit + 1)}),
                        400,
                        "field_too_long",
                        f"longer than {limit} characters",
                    )
                    self.assertEqual(problem["field"], field)
        self.assertEqual(self.state(), before)
        # At the limit, and counted in characters, not bytes.
        made = self.pay(
            self.key_alpha,
            {"payee": "CH-B", "amount": "1.00", "reference": "é" * 200, "memo": "€" * 1000},
        )
        self.assertEqual(made.status_code, 201, made.text)
        self.assertEqual(self.Transfer.browse(made.json()["id"]).memo, "€" * 1000)

    def test_attack_9_a_body_of_5_mb_is_a_413_and_is_not_read(self):
        before = self.state()
        for operation in TEXTS:
            body = self.good_body(operation)
            raw = json.dumps({**body, "padding": "x" * FIVE_MB})
            with self.subTest(operation=operation):
                self.assert_problem(
                    self.request_of(operation, None, raw=raw),
                    413,
                    "body_too_large",
                    str(wire.MAX_BODY_BYTES),
                )
        # Sent in chunks, without a Content-Length: read up to the limit only.
        chunk = b" " * (64 * 1024)
        chunks = (chunk for _ in range(FIVE_MB // len(chunk)))
        self.assert_problem(
            self.pay(self.key_alpha, None, raw=chunks, idem="chunked"), 413, "body_too_large"
        )
        # A form, which werkzeug parses before the route, is refused past the limit too.
        form = self.pay(
            self.key_alpha,
            None,
            raw=b"payee=CH-B&amount=1.00&padding=" + b"x" * FIVE_MB,
            idem="form",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        self.assertEqual(form.status_code, 413)
        self.assertEqual(self.state(), before)
        # Just under the limit, a body is read.
        body = json.dumps({"payee": "CH-B", "amount": "1.00"})
        raw = body + " " * (wire.MAX_BODY_BYTES - len(body))
        self.assertEqual(self.pay(self.key_alpha, None, raw=raw, idem="at-limit").status_code, 201)
        raw += " "
        self.assert_problem(
            self.pay(self.key_alpha, None, raw=raw, idem="past-limit"), 413, "body_too_large"
        )

    def test_attack_9_a_key_sent_twice_is_a_400_and_nothing_is_booked(self):
        self.book(self.gamma, self.alpha, 100)
        before = self.state()
        raw = '{"payee": "CH-B", "amount": "1.00", "amount": "900.00"}'
        problem = self.assert_problem(
            self.pay(self.key_alpha, None, raw=raw, idem="dup-1"),
            400,
            "body_duplicate_key",
            "“amount”",
        )
        self.assertEqual(problem["field"], "amount")
        # At any depth, and on every operation that reads a body.
        for operation in TEXTS:
            body = json.dumps(self.good_body(operation))[:-1]
            for raw, field in (
                (body + ', "x": {"a": 1, "a": 2}}', "a"),
                (body + ', "x": [{"b": 1, "\\u0062": 2}]}', "b"),
            ):
                with self.subTest(operation=operation, raw=raw):
                    problem = self.assert_problem(
                        self.request_of(operation, None, raw=raw), 400, "body_duplicate_key"
                    )
                    self.assertEqual(problem["field"], field)
        self.assertEqual(self.state(), before)
        self.assertEqual(self.balances(self.alpha, self.beta), (100.0, 0.0))

    def test_attack_9_query_parameters_and_headers_are_read_as_strictly(self):
        for params, code, field in (
            ({"q": "Alpha\x1b[2J"}, "field_invalid_character", "q"),
            ({"offer": "a\x00"}, "field_invalid_character", "offer"),
            ({"need": "a\rb"}, "field_invalid_character", "need"),
            ({"q": "x" * 101}, "field_too_long", "q"),
            ({"offer": "x" * 101}, "field_too_long", "offer"),
            ({"need": "x" * 101}, "field_too_long", "need"),
        ):
            with self.subTest(params=params):
                problem = self.assert_problem(
                    self.call("GET", "/members", self.key_beta, params=params),
                    400,
                    code,
                    f"parameter “{field}”",
                )
                self.assertEqual(problem["field"], field)
        found = self.call("GET", "/members", self.key_beta, params={"q": "Alpha" + " " * 95})
        self.assertEqual([m["member_number"] for m in found.json()["items"]], ["CH-A"])
        for path in ("/transfers", "/payment-requests", "/obligations", "/compensations"):
            for params, code in (
                ({"after": "1\x00"}, "cursor_invalid"),
                ({"after": "1\n2"}, "cursor_invalid"),
                ({"limit": " 5"}, "limit_invalid"),
                ({"limit": "1\x00"}, "limit_invalid"),
                ({"limit": "\u0665"}, "limit_invalid"),
            ):
                with self.subTest(path=path, params=ascii(params)):
                    self.assert_problem(
                        self.call("GET", path, self.key_alpha, params=params), 400, code
                    )
        before = self.state()
        for idem in ("k\x00", "k\x1b", "k" * 256):
            with self.subTest(idem=ascii(idem)):
                problem = self.assert_problem(
                    self.pay(self.key_alpha, {"payee": "CH-B", "amount": "1.00"}, idem=idem),
                    400,
                    "idempotency_key_invalid",
                )
                self.assertEqual(problem["field"], "Idempotency-Key")
        # A key holding a NUL is no key (and never reaches the database).
        for token in (f"\x00{self.key_alpha}", f"{self.key_alpha[:8]}\x00", "\x00"):
            with self.subTest(token=ascii(token)):
                self.assert_problem(
                    self.call("GET", "/account", headers={"Authorization": f"Bearer {token}"}),
                    401,
                    "unauthorized",
                )
        self.assertEqual(self.state(), before)

    # ------------------------------------------------------------------
    # Attack 10: small transfers paid no commission
    # ------------------------------------------------------------------

    def test_attack_10_a_transfer_owing_a_commission_pays_at_least_one_cent(self):
        self.company.mlml_commission_percent = 1.0
        paid = 0.0
        for n, (amount, commission) in enumerate(
            (("0.01", 0.01), ("0.49", 0.01), ("100.00", 1.0), ("150.50", 1.51))
        ):
            with self.subTest(amount=amount):
                made = self.pay(
                    self.key_alpha, {"payee": "CH-B", "amount": amount}, idem=f"commission-{n}"
                )
                self.assertEqual(made.status_code, 201, made.text)
                transfer = self.Transfer.browse(made.json()["id"])
                self.assertEqual(transfer.commission_id.amount, commission)
                self.assertEqual(transfer.commission_id.payee_id, self.house)
                paid += float(amount) + commission
        # Alpha paid 251.00 and 2.53 of commissions: the clearing house got every cent.
        self.assertEqual(round(paid, 2), 253.53)
        self.assertEqual(self.balances(self.alpha, self.beta, self.house), (-253.53, 251.0, 2.53))
        self.assertEqual(self.network_sum(), 0)

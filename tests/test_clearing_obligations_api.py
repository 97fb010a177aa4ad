from odoo.exceptions import UserError
from odoo.tests import HttpCase, tagged

from odoo.addons.mlml_barter.mlml_barter import api_spec

from .common import ClearingApiCalls
from .test_clearing_ledger import ClearingHouseCommon

API = api_spec.BASE_PATH


class ObligationsApiCommon(ClearingApiCalls, ClearingHouseCommon, HttpCase):
    """Members declaring their open invoices through real HTTP requests."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # The clearing house keeps its books in euros, as MLML's cooperative does.
        euro = cls.env.ref("base.EUR")
        euro.active = True
        cls.company.currency_id = euro
        cls.key_alpha = cls.alpha.mlml_generate_api_key()
        cls.key_beta = cls.beta.mlml_generate_api_key()
        cls.key_gamma = cls.gamma.mlml_generate_api_key()
        cls.keys = {cls.alpha: cls.key_alpha, cls.beta: cls.key_beta, cls.gamma: cls.key_gamma}
        cls.Obligation = cls.env["mlml.obligation"]
        cls.Declaration = cls.env["mlml.obligation.declaration"]

    def declare(self, caller, invoice, creditor, debtor, amount, due="2026-12-31", **extra):
        headers = extra.pop("headers", None)
        body = {
            "invoice": invoice,
            "creditor": creditor.mlml_member_number,
            "debtor": debtor.mlml_member_number,
            "amount": amount,
            "currency": "EUR",
            "due_date": due,
            **extra,
        }
        return self.call("POST", "/obligations", self.keys[caller], body, headers=headers)

    def declare_both(self, invoice, creditor, debtor, amount, due="2026-12-31"):
        """The creditor declares its invoice and the debtor confirms it as its bill."""
        first = self.declare(creditor, invoice, creditor, debtor, amount, due)
        self.assertEqual(first.status_code, 201, first.text)
        second = self.declare(debtor, invoice, creditor, debtor, amount, due)
        self.assertEqual(second.status_code, 200, second.text)
        self.assertEqual(second.json()["state"], "confirmed")
        return self.Obligation.browse(second.json()["id"])


@tagged("post_install", "-at_install")
class TestClearingObligationsApi(ObligationsApiCommon):
    def test_declared_by_the_creditor_then_confirmed_by_the_debtor(self):
        made = self.declare(self.beta, "FAC/2026/0001", self.beta, self.alpha, "120.00")
        self.assertEqual(made.status_code, 201, made.text)
        declared = made.json()
        self.assertEqual(
            {k: v for k, v in declared.items() if k != "id"},
            {
                "invoice": "FAC/2026/0001",
                "creditor": "CH-B",
                "debtor": "CH-A",
                "amount": "120.00",
                "amount_cleared": "0.00",
                "amount_open": "120.00",
                "currency": "EUR",
                "due_date": "2026-12-31",
                "mlml_open": None,
                "state": "declared",
                "role": "creditor",
                "declared_by_creditor": True,
                "confirmed_by_debtor": False,
                "withdrawal_reason": None,
            },
        )
        obligation = self.Obligation.browse(declared["id"])
        self.assertIn("Not confirmed by the debtor Alpha Nettoyage", obligation.waiting_for)
        # The same declaration again changes nothing.
        again = self.declare(self.beta, "FAC/2026/0001", self.beta, self.alpha, "120")
        self.assertEqual((again.status_code, again.json()), (200, declared))
        # The debtor declares the same bill: the obligation counts.
        confirmed = self.declare(self.alpha, "FAC/2026/0001", self.beta, self.alpha, "120.00")
        self.assertEqual(confirmed.status_code, 200, confirmed.text)
        self.assertEqual(
            (confirmed.json()["state"], confirmed.json()["role"], confirmed.json()["id"]),
            ("confirmed", "debtor", declared["id"]),
        )
        self.assertEqual(obligation.state, "confirmed")
        self.assertFalse(obligation.waiting_for)
        self.assertEqual(self.Obligation.search_count([]), 1)
        self.assertEqual(obligation.declaration_ids.mapped("outcome"), ["confirm", "new"])
        # Its figures change only by a declaration.
        with self.assert_refused(UserError, "come from the members' declarations"):
            obligation.write({"amount": 1.0})
        obligation.withdrawal_reason = "Litige"
        self.assertEqual(obligation.amount, 120.0)
        # Each side reads it in its feed, once per change; a third member sees nothing.
        feed = self.call("GET", "/obligations", self.key_alpha).json()
        self.assertEqual(
            [(o["invoice"], o["state"], o["role"]) for o in feed["items"]],
            [("FAC/2026/0001", "confirmed", "debtor")],
        )
        self.assertEqual(
            self.call("GET", "/obligations", self.key_alpha, params={"after": feed["next"]}).json()[
                "items"
            ],
            [],
        )
        self.assertEqual(self.call("GET", "/obligations", self.key_gamma).json()["items"], [])
        self.assert_problem(
            self.call("GET", "/obligations", self.key_alpha, params={"after": "x"}),
            400,
            "cursor_invalid",
        )

    def test_idempotency_key(self):
        headers = {"Idempotency-Key": "decl-1"}
        first = self.declare(self.alpha, "FAC/7", self.alpha, self.gamma, "70.00", headers=headers)
        self.assertEqual(first.status_code, 201, first.text)
        again = self.declare(self.alpha, "FAC/7", self.alpha, self.gamma, "70.0", headers=headers)
        self.assertEqual((again.status_code, again.json()), (200, first.json()))
        counts = (self.Obligation.search_count([]), self.Declaration.search_count([]))
        self.assert_problem(
            self.declare(self.alpha, "FAC/7", self.alpha, self.gamma, "60.00", headers=headers),
            409,
            "idempotency_conflict",
            "FAC/7",
        )
        self.assertEqual(
            (self.Obligation.search_count([]), self.Declaration.search_count([])), counts
        )
        self.assertEqual(self.Obligation.browse(first.json()["id"]).amount, 70.0)

    def test_new_figures_update_and_need_the_other_side_again(self):
        obligation = self.declare_both("FAC/8", self.alpha, self.beta, "100.00")
        # Partly paid: the creditor declares what is still open.
        updated = self.declare(self.alpha, "FAC/8", self.alpha, self.beta, "60.00")
        self.assertEqual(updated.status_code, 200, updated.text)
        self.assertEqual(
            {k: updated.json()[k] for k in ("amount_open", "state", "confirmed_by_debtor")},
            {"amount_open": "60.00", "state": "declared", "confirmed_by_debtor": False},
        )
        self.assertEqual((obligation.amount, obligation.state), (60.0, "declared"))
        # The debtor still declares the old amount: its figures win, the creditor must agree.
        debtor = self.declare(self.beta, "FAC/8", self.alpha, self.beta, "100.00")
        self.assertEqual(
            (debtor.json()["declared_by_creditor"], debtor.json()["confirmed_by_debtor"]),
            (False, True),
        )
        self.assertIn("Not declared by the creditor Alpha Nettoyage", obligation.waiting_for)
        agreed = self.declare(self.alpha, "FAC/8", self.alpha, self.beta, "100.00")
        self.assertEqual(agreed.json()["state"], "confirmed")
        # Another debtor for the same invoice number of the same creditor is refused.
        self.assert_problem(
            self.declare(self.alpha, "FAC/8", self.alpha, self.gamma, "100.00"),
            403,
            "not_a_party",
            "Beta Imprimerie",
        )

    def test_bad_input_is_refused_and_nothing_written(self):
        self.declare_both("FAC/OK", self.alpha, self.beta, "10.00")
        self.create_member("Dupont SARL", state="none", number="CH-N")
        self.create_member("Candidat SAS", state="candidate", number="CH-X")
        self.create_member("Parti SA", state="resigned", number="CH-R")
        ok = {
            "invoice": "FAC/9",
            "creditor": "CH-A",
            "debtor": "CH-B",
            "amount": "10.00",
            "currency": "EUR",
            "due_date": "2026-12-31",
        }
        cases = [
            ({**ok, "debtor": "NOPE"}, 404, "member_unknown", "debtor"),
            ({**ok, "debtor": "CH-N"}, 404, "member_unknown", "debtor"),
            ({**ok, "debtor": "CH-X"}, 403, "member_not_in_network", "debtor"),
            ({**ok, "debtor": "CH-R"}, 403, "member_not_in_network", "debtor"),
            ({**ok, "currency": "CHF"}, 400, "currency_not_accepted", "currency"),
            ({**ok, "currency": "MLM"}, 400, "currency_not_accepted", "currency"),
            ({**ok, "amount": "-5.00"}, 400, "amount_not_positive", "amount"),
            ({**ok, "amount": "0"}, 400, "amount_not_positive", "amount"),
            ({**ok, "amount": 10}, 400, "amount_not_a_string", "amount"),
            ({**ok, "amount": "1.234"}, 400, "amount_too_precise", "amount"),
            ({**ok, "debtor": "CH-A"}, 400, "obligation_to_oneself", "debtor"),
            ({**ok, "creditor": "CH-B", "debtor": "CH-C"}, 403, "not_a_party", None),
            ({k: v for k, v in ok.items() if k != "due_date"}, 400, "field_missing", "due_date"),
            ({**ok, "due_date": "31/12/2026"}, 400, "date_invalid", "due_date"),
            ({**ok, "invoice": " "}, 400, "field_missing", "invoice"),
            ({**ok, "invoice": "F" * 65}, 400, "field_too_long", "invoice"),
        ]
        counts = (self.Obligation.search_count([]), self.Declaration.search_count([]))
        for body, status, code, field in cases:
            with self.subTest(body=body):
                problem = self.assert_problem(
                    self.call("POST", "/obligations", self.key_alpha, body), status, code
                )
                self.assertEqual(problem.get("field"), field)
        self.assertEqual(
            (self.Obligation.search_count([]), self.Declaration.search_count([])), counts
        )
        french = self.call(
            "POST",
            "/obligations",
            self.key_alpha,
            {**ok, "currency": "CHF"},
            headers={"Accept-Language": "fr"},
        )
        self.assertEqual(french.json()["code"], "currency_not_accepted")

    def test_routes_are_described(self):
        document = self.opener.get(f"{self.base_url()}{API}/openapi.json", timeout=30).json()
        self.assertEqual(set(document["paths"]["/obligations"]), {"get", "post"})
        self.assertEqual(set(document["paths"]["/compensations"]), {"get"})
        post = document["paths"]["/obligations"]["post"]
        self.assertEqual(
            set(post["responses"]), {"200", "201", "400", "401", "403", "404", "409", "413"}
        )
        channel = document["components"]["schemas"]["Transfer"]["properties"]["channel"]
        self.assertIn("compensation", channel["enum"])
        self.assertNotIn("clearing", channel["enum"])
        self.assert_problem(self.call("GET", "/compensations"), 401, "unauthorized")


@tagged("post_install", "-at_install")
class TestClearingObligationsBatch(ObligationsApiCommon):
    """``POST obligations/batch``: each declaration answered as ``POST obligations``
    answers it, done or refused on its own, idempotent one by one."""

    def body(self, invoice, creditor, debtor, amount, due="2026-12-31", **extra):
        return {
            "invoice": invoice,
            "creditor": creditor.mlml_member_number,
            "debtor": debtor.mlml_member_number,
            "amount": amount,
            "currency": "EUR",
            "due_date": due,
            **extra,
        }

    def batch(self, caller, declarations, **options):
        return self.call(
            "POST",
            "/obligations/batch",
            self.keys[caller],
            {"declarations": declarations},
            **options,
        )

    def counts(self):
        return self.Obligation.search_count([]), self.Declaration.search_count([])

    def test_each_declaration_is_answered_as_the_single_call_answers_it(self):
        confirmed = self.declare(self.alpha, "FAC/A1", self.alpha, self.beta, "80.00")
        self.assertEqual(confirmed.status_code, 201, confirmed.text)
        declarations = [
            # 0: new, 1: the same again, 2: the debtor's confirmation of alpha's invoice
            self.body("FAC/B1", self.beta, self.alpha, "120.00"),
            self.body("FAC/B1", self.beta, self.alpha, "120"),
            self.body("FAC/A1", self.alpha, self.beta, "80.00"),
            # 3: not a party, 4: a float, 5: not an object, 6: unknown member
            self.body("FAC/G1", self.gamma, self.alpha, "10.00"),
            self.body("FAC/B2", self.beta, self.alpha, 10.5),
            "FAC/B3",
            {**self.body("FAC/B4", self.beta, self.alpha, "10.00"), "debtor": "NOPE"},
            # 7: a key of its own, 8: the same key for other figures
            self.body("FAC/B5", self.beta, self.gamma, "55.50", idempotency_key="b-5"),
            self.body("FAC/B6", self.beta, self.gamma, "1.00", idempotency_key="b-5"),
        ]
        answer = self.batch(self.beta, declarations)
        self.assertEqual(answer.status_code, 200, answer.text)
        results = answer.json()["results"]
        self.assertEqual(
            [result["status"] for result in results], [201, 200, 200, 403, 400, 400, 404, 201, 409]
        )
        new = results[0]["body"]
        self.assertEqual(
            {k: new[k] for k in ("invoice", "creditor", "debtor", "amount", "amount_open")},
            {
                "invoice": "FAC/B1",
                "creditor": "CH-B",
                "debtor": "CH-A",
                "amount": "120.00",
                "amount_open": "120.00",
            },
        )
        self.assertEqual(results[1]["body"], new)
        self.assertEqual(
            (results[2]["body"]["state"], results[2]["body"]["role"]), ("confirmed", "debtor")
        )
        self.assertEqual(self.Obligation.browse(confirmed.json()["id"]).state, "confirmed")
        self.assertEqual(results[7]["body"]["amount"], "55.50")
        self.assertEqual(
            [results[i]["body"]["code"] for i in (3, 4, 5, 6, 8)],
            [
                "not_a_party",
                "amount_not_a_string",
                "body_not_object",
                "member_unknown",
                "idempotency_conflict",
            ],
        )
        # A refusal is the single call's problem, word for word; what was done is its
        # obligation as the single call answers it again.
        for index in (3, 4, 6):
            single = self.call("POST", "/obligations", self.key_beta, declarations[index])
            self.assertEqual((single.status_code, single.json()), tuple(results[index].values()))
        single = self.call(
            "POST",
            "/obligations",
            self.key_beta,
            self.body("FAC/B6", self.beta, self.gamma, "1.00"),
            headers={"Idempotency-Key": "b-5"},
        )
        self.assertEqual((single.status_code, single.json()), (409, results[8]["body"]))
        replay = self.declare(self.beta, "FAC/B1", self.beta, self.alpha, "120.00")
        self.assertEqual((replay.status_code, replay.json()), (200, new))
        self.assertFalse(self.Obligation.search([("name", "in", ("FAC/G1", "FAC/B2", "FAC/B6"))]))

    def test_a_batch_sent_again_makes_nothing_twice(self):
        declarations = [
            self.body(f"FAC/{n}", self.alpha, self.gamma, f"{n}.25", idempotency_key=f"k-{n}")
            for n in range(1, 6)
        ] + [self.body("FAC/9", self.alpha, self.beta, "9.00")]
        first = self.batch(self.alpha, declarations)
        self.assertEqual(
            [r["status"] for r in first.json()["results"]], [201, 201, 201, 201, 201, 201]
        )
        counts = self.counts()
        again = self.batch(self.alpha, declarations)
        self.assertEqual([r["status"] for r in again.json()["results"]], [200] * 6)
        self.assertEqual(
            [r["body"] for r in again.json()["results"]],
            [r["body"] for r in first.json()["results"]],
        )
        # The keyed ones are answered from their key, the other is the same figures
        # again: nothing is written.
        self.assertEqual(self.counts(), counts)
        # A key of the batch is the single call's key too.
        single = self.call(
            "POST",
            "/obligations",
            self.key_alpha,
            self.body("FAC/3", self.alpha, self.gamma, "3.25"),
            headers={"Idempotency-Key": "k-3"},
        )
        self.assertEqual(
            (single.status_code, single.json()), (200, first.json()["results"][2]["body"])
        )
        self.assertEqual(self.Obligation.search([("name", "=", "FAC/4")]).amount, 4.25)

    def test_a_batch_too_large_or_not_a_list_is_refused_whole(self):
        counts = self.counts()
        declarations = [self.body(f"FAC/{n}", self.alpha, self.beta, "1.00") for n in range(1001)]
        problem = self.assert_problem(
            self.batch(self.alpha, declarations), 400, "batch_too_large", "1001", "1000"
        )
        self.assertEqual(problem["field"], "declarations")
        self.assert_problem(
            self.call("POST", "/obligations/batch", self.key_alpha, {"declarations": {}}),
            400,
            "batch_invalid",
        )
        self.assert_problem(
            self.call("POST", "/obligations/batch", self.key_alpha, {}), 400, "batch_invalid"
        )
        self.assert_problem(
            self.call("POST", "/obligations/batch", None, {"declarations": []}),
            401,
            "unauthorized",
        )
        self.assertEqual(self.counts(), counts)
        french = self.call(
            "POST",
            "/obligations/batch",
            self.key_alpha,
            {"declarations": declarations},
            headers={"Accept-Language": "fr"},
        )
        self.assertEqual(french.json()["code"], "batch_too_large")
        # A thousand is a batch: each answered (here refused, cheaply: not objects).
        done = self.batch(self.alpha, [f"FAC/{n}" for n in range(1000)])
        self.assertEqual(
            {(r["status"], r["body"]["code"]) for r in done.json()["results"]},
            {(400, "body_not_object")},
        )
        self.assertEqual(len(done.json()["results"]), 1000)
        self.assertEqual(self.counts(), counts)

    def test_route_is_described(self):
        document = self.opener.get(f"{self.base_url()}{API}/openapi.json", timeout=30).json()
        post = document["paths"]["/obligations/batch"]["post"]
        self.assertEqual(post["operationId"], "declareObligations")
        self.assertEqual(set(post["responses"]), {"200", "400", "401", "403", "413"})
        batch = document["components"]["schemas"]["ObligationBatchIn"]
        self.assertEqual(batch["properties"]["declarations"]["maxItems"], 1000)

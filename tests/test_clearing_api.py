from odoo import http
from odoo.tests import HttpCase, new_test_user, tagged
from odoo.tools import mute_logger

from odoo.addons.mlml_barter.mlml_barter import api_spec

from .common import ClearingApiCalls
from .test_clearing_ledger import ClearingHouseCommon

API = api_spec.BASE_PATH


@tagged("post_install", "-at_install")
class TestClearingApi(ClearingApiCalls, ClearingHouseCommon, HttpCase):
    """The members' API end to end, through real HTTP requests."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.key_alpha = cls.alpha.mlml_generate_api_key()
        cls.key_beta = cls.beta.mlml_generate_api_key()
        cls.key_gamma = cls.gamma.mlml_generate_api_key()

    def pay(self, key, body, idem="k-1", **kwargs):
        headers = {"Idempotency-Key": idem, **kwargs.pop("headers", {})}
        return self.call("POST", "/transfers", key, body, headers=headers, **kwargs)

    # ------------------------------------------------------------------

    def test_account(self):
        self.book(self.gamma, self.alpha, 250)
        response = self.call("GET", "/account", self.key_alpha)
        self.assertEqual(response.status_code, 200)
        self.assertEqual(
            response.json(),
            {
                "member_number": "CH-A",
                "name": "Alpha Nettoyage",
                "state": "active",
                "currency": "MLM",
                "balance": "250.00",
                "credit_limit": "1000.00",
                "balance_ceiling": "2000.00",
                "available": "1250.00",
                "room": "1750.00",
            },
        )
        gamma = self.call("GET", "/account", self.key_gamma).json()
        self.assertEqual(
            (gamma["balance"], gamma["balance_ceiling"], gamma["room"]), ("-250.00", None, None)
        )

    def test_keys(self):
        problem = self.assert_problem(self.call("GET", "/account"), 401, "unauthorized")
        self.assertIn("Authorization: Bearer", problem["detail"])
        self.assert_problem(self.call("GET", "/account", "not-a-key"), 401, "unauthorized")
        self.assert_problem(
            self.call("GET", "/account", headers={"Authorization": f"Basic {self.key_alpha}"}),
            401,
            "unauthorized",
        )
        # A global key of the same user does not open the API: a key opens one thing.
        user = self.env["res.users"].search([("login", "=", f"mlml-api-{self.alpha.id}")])
        global_key = self.env["res.users.apikeys"].with_user(user).sudo()._generate(None, "g", None)
        self.assert_problem(self.call("GET", "/account", global_key), 401, "unauthorized")
        # A key of this API opens no RPC.
        with mute_logger("odoo.addons.base.models.res_users"):
            uid = self.xmlrpc_common.authenticate(
                self.env.cr.dbname, user.login, self.key_alpha, {}
            )
        self.assertFalse(uid)
        # A revoked user's key opens nothing.
        user.active = False
        self.assert_problem(self.call("GET", "/account", self.key_alpha), 401, "unauthorized")
        # A new key reactivates the member's API user; the back office shows it once.
        action = self.Account.search([("partner_id", "=", self.alpha.id)]).action_generate_api_key()
        self.assertEqual(action["res_model"], "res.users.apikeys.show")
        key = action["context"]["default_key"]
        self.assertFalse(self.env["res.users.apikeys"].sudo().search([("name", "=", key)]))
        self.assertEqual(self.call("GET", "/account", key).status_code, 200)

    def test_transfer_is_made_once_per_key(self):
        body = {"payee": "CH-B", "amount": "123.45", "reference": "FAC/1", "memo": "merci"}
        first = self.pay(self.key_alpha, body, idem="order-1")
        self.assertEqual(first.status_code, 201, first.text)
        made = first.json()
        self.assertEqual(made["payer"], "CH-A")
        self.assertEqual(made["payee"], "CH-B")
        self.assertEqual(made["amount"], "123.45")
        self.assertEqual(made["reference"], "FAC/1")
        self.assertEqual(made["memo"], "merci")
        self.assertEqual(made["direction"], "out")
        self.assertTrue(made["number"].startswith("VIR/"))
        self.assertTrue(made["created_at"].endswith("Z"))
        transfer = self.Transfer.browse(made["id"])
        self.assertEqual(transfer.channel, "api")
        self.assertEqual(transfer.create_uid.login, f"mlml-api-{self.alpha.id}")
        again = self.pay(self.key_alpha, dict(reversed(list(body.items()))), idem="order-1")
        self.assertEqual(again.status_code, 200, again.text)
        self.assertEqual(again.json(), made)
        self.assert_problem(
            self.pay(self.key_alpha, {**body, "amount": "100.00"}, idem="order-1"),
            409,
            "idempotency_conflict",
            made["number"],
        )
        # The same key of another member is another request.
        other = self.pay(self.key_gamma, body, idem="order-1")
        self.assertEqual(other.status_code, 201)
        self.assertEqual(
            self.balances(self.alpha, self.beta, self.gamma), (-123.45, 246.9, -123.45)
        )

    def test_transfer_made_is_answered_again_when_its_payee_is_not_found(self):
        body = {"payee": "CH-B", "amount": "10.00"}
        first = self.pay(self.key_alpha, body, idem="order-9")
        self.assertEqual(first.status_code, 201, first.text)
        self.beta.mlml_member_number = "CH-B-2"
        again = self.pay(self.key_alpha, body, idem="order-9")
        self.assertEqual(again.status_code, 200, again.text)
        self.assertEqual(again.json()["id"], first.json()["id"])
        self.assertEqual(again.json()["number"], first.json()["number"])
        # A new request to that number is refused.
        self.assert_problem(
            self.pay(self.key_alpha, body, idem="order-10"), 404, "member_unknown", "CH-B"
        )
        self.assertEqual(self.balances(self.alpha, self.beta), (-10.0, 10.0))

    def test_bad_input_is_refused_and_nothing_written(self):
        count = self.ledger_count()
        ok = {"payee": "CH-B", "amount": "10.00"}
        cases = [
            ({**ok, "amount": "0"}, 400, "amount_not_positive", "amount"),
            ({**ok, "amount": "0.00"}, 400, "amount_not_positive", "amount"),
            ({**ok, "amount": "-5.00"}, 400, "amount_not_positive", "amount"),
            ({**ok, "amount": "1.234"}, 400, "amount_too_precise", "amount"),
            ({**ok, "amount": "abc"}, 400, "amount_not_a_number", "amount"),
            ({**ok, "amount": "1e3"}, 400, "amount_not_a_number", "amount"),
            ({**ok, "amount": 12.5}, 400, "amount_not_a_string", "amount"),
            ({**ok, "amount": "99999999999"}, 400, "amount_not_a_number", "amount"),
            ({**ok, "amount": "1000000001.00"}, 400, "amount_too_large", "amount"),
            ({**ok, "amount": None}, 400, "field_missing", "amount"),
            ({**ok, "payee": 42}, 400, "field_wrong_type", "payee"),
            ({"amount": "10.00"}, 400, "field_missing", "payee"),
            ({**ok, "memo": ["x"]}, 400, "field_wrong_type", "memo"),
            ({**ok, "reference": "x" * 201}, 400, "field_too_long", "reference"),
            ({**ok, "memo": "a\x00b"}, 400, "field_invalid_character", "memo"),
            ({**ok, "payee": "CH-B\x00"}, 400, "field_invalid_character", "payee"),
            ({**ok, "payee": "CH-A"}, 400, "transfer_to_oneself", "payee"),
            ({**ok, "payee": "NOPE"}, 404, "member_unknown", "payee"),
        ]
        for n, (body, status, code, field) in enumerate(cases):
            with self.subTest(body=body):
                problem = self.assert_problem(
                    self.pay(self.key_alpha, body, idem=f"bad-{n}"), status, code
                )
                self.assertEqual(problem.get("field"), field)
        self.assert_problem(
            self.pay(self.key_alpha, None, raw="{not json", idem="raw-1"), 400, "body_not_json"
        )
        self.assert_problem(
            self.pay(self.key_alpha, None, raw="[1, 2]", idem="raw-2"), 400, "body_not_object"
        )
        self.assert_problem(
            self.pay(self.key_alpha, None, raw=b"\xff\xfe", idem="raw-3"), 400, "body_not_json"
        )
        self.assert_problem(
            self.pay(self.key_alpha, None, raw="[" * 100000, idem="raw-4"), 400, "body_not_json"
        )
        directory = self.call(
            "GET", "/members", self.key_alpha, params={"q": "a\x00", "offer": "\x00"}
        )
        self.assertEqual(
            self.assert_problem(directory, 400, "field_invalid_character")["field"], "q"
        )
        missing = self.call("POST", "/transfers", self.key_alpha, ok)
        self.assertEqual(
            self.assert_problem(missing, 400, "idempotency_key_missing")["field"], "Idempotency-Key"
        )
        # Inactive payee, inactive payer.
        self.beta.action_mlml_suspend("Unpaid membership fee")
        self.assert_problem(self.pay(self.key_alpha, ok, idem="s-1"), 403, "payee_not_active")
        self.assert_problem(
            self.pay(self.key_beta, {**ok, "payee": "CH-A"}, idem="s-2"), 403, "payer_not_active"
        )
        self.assertEqual(self.ledger_count(), count)
        self.assertEqual(self.balances(self.alpha, self.beta), (0.0, 0.0))

    def test_bounds_answer_422_with_the_figures(self):
        self.book(self.alpha, self.gamma, 900)
        problem = self.assert_problem(
            self.pay(self.key_alpha, {"payee": "CH-B", "amount": "150.00"}, idem="b-1"),
            422,
            "payer_below_credit_limit",
            "Alpha Nettoyage cannot pay 150.00",
        )
        self.assertEqual(
            {k: problem[k] for k in ("balance", "amount", "credit_limit", "missing")},
            {
                "balance": "-900.00",
                "amount": "150.00",
                "credit_limit": "1000.00",
                "missing": "50.00",
            },
        )
        self.book(self.gamma, self.beta, 1400)
        problem = self.assert_problem(
            self.pay(self.key_gamma, {"payee": "CH-B", "amount": "200.00"}, idem="b-2"),
            422,
            "payee_cannot_receive",
            "Beta Imprimerie cannot receive 200.00",
        )
        # Nothing of the payee's account: its balance, ceiling and excess are its own.
        self.assertEqual(set(problem), {"type", "title", "status", "detail", "code"})
        for figure in ("1,400.00", "1,500.00", "100.00"):
            self.assertNotIn(figure, problem["detail"])
        # The detail speaks the client's language: French figures for Accept-Language fr.
        french = self.pay(
            self.key_alpha,
            {"payee": "CH-B", "amount": "1500.00"},
            idem="b-3",
            headers={"Idempotency-Key": "b-3", "Accept-Language": "fr-FR,fr;q=0.9"},
        )
        self.assertEqual(french.status_code, 422)
        if self.env["res.lang"]._lang_get("fr_FR").active:
            self.assertIn("500,00", french.json()["detail"])
        else:
            self.assertIn("1,500.00", french.json()["detail"])

    def test_transfers_are_paged_in_ledger_order(self):
        made = [self.book(self.alpha, self.beta, n) for n in (1, 2, 3)]
        made.append(self.book(self.gamma, self.alpha, 4))
        self.book(self.gamma, self.beta, 5)  # not Alpha's: never shown to it
        first = self.call("GET", "/transfers", self.key_alpha, params={"limit": 2}).json()
        self.assertEqual([t["number"] for t in first["items"]], [t.name for t in made[:2]])
        self.assertTrue(first["has_more"])
        second = self.call(
            "GET", "/transfers", self.key_alpha, params={"after": first["next"], "limit": 2}
        ).json()
        self.assertEqual([t["number"] for t in second["items"]], [t.name for t in made[2:]])
        self.assertEqual([t["direction"] for t in second["items"]], ["out", "in"])
        self.assertFalse(second["has_more"])
        empty = self.call(
            "GET", "/transfers", self.key_alpha, params={"after": second["next"]}
        ).json()
        self.assertEqual((empty["items"], empty["next"]), ([], second["next"]))
        later = self.book(self.beta, self.alpha, 6)
        resumed = self.call(
            "GET", "/transfers", self.key_alpha, params={"after": second["next"]}
        ).json()
        self.assertEqual([t["number"] for t in resumed["items"]], [later.name])
        self.assert_problem(
            self.call("GET", "/transfers", self.key_alpha, params={"after": "zzz"}),
            400,
            "cursor_invalid",
        )
        far = self.call("GET", "/transfers", self.key_alpha, params={"after": "9" * 18})
        self.assertEqual(far.json()["items"], [])
        far = self.call("GET", "/payment-requests", self.key_alpha, params={"after": "9" * 18})
        self.assertEqual(far.json()["items"], [])
        for limit in ("0", "201", "abc", "1.5"):
            self.assert_problem(
                self.call("GET", "/transfers", self.key_alpha, params={"limit": limit}),
                400,
                "limit_invalid",
            )

    def test_members_directory(self):
        self.alpha.mlml_offer_ids = self.activity_cleaning
        self.beta.mlml_need_ids = self.activity_cleaning
        items = self.call("GET", "/members", self.key_beta).json()["items"]
        numbers = [item["member_number"] for item in items]
        self.assertIn("CH-A", numbers)
        alpha = next(item for item in items if item["member_number"] == "CH-A")
        self.assertEqual(
            alpha,
            {
                "member_number": "CH-A",
                "name": "Alpha Nettoyage",
                "city": "Lille",
                "offers": ["Nettoyage test"],
                "needs": [],
            },
        )
        offers = self.call("GET", "/members", self.key_beta, params={"offer": "Nettoyage"}).json()[
            "items"
        ]
        self.assertEqual([item["member_number"] for item in offers], ["CH-A"])
        needs = self.call(
            "GET", "/members", self.key_beta, params={"need": "Nettoyage", "q": "Beta"}
        ).json()["items"]
        self.assertEqual([item["member_number"] for item in needs], ["CH-B"])

    def test_payment_requests(self):
        asked = self.call(
            "POST",
            "/payment-requests",
            self.key_beta,
            {"payer": "CH-A", "amount": "80.00", "reference": "FAC/9", "due_date": "2026-12-31"},
        )
        self.assertEqual(asked.status_code, 201, asked.text)
        request = asked.json()
        self.assertEqual(
            {
                k: request[k]
                for k in (
                    "payer",
                    "payee",
                    "amount",
                    "reference",
                    "due_date",
                    "state",
                    "role",
                    "transfer",
                )
            },
            {
                "payer": "CH-A",
                "payee": "CH-B",
                "amount": "80.00",
                "reference": "FAC/9",
                "due_date": "2026-12-31",
                "state": "open",
                "role": "payee",
                "transfer": None,
            },
        )
        rid = request["id"]
        listed = self.call("GET", "/payment-requests", self.key_alpha).json()
        self.assertEqual([(r["id"], r["role"]) for r in listed["items"]], [(rid, "payer")])
        self.assertEqual(self.call("GET", "/payment-requests", self.key_gamma).json()["items"], [])
        # Only the payer accepts; another member does not even see it.
        self.assert_problem(
            self.call(
                "POST",
                f"/payment-requests/{rid}/accept",
                self.key_beta,
                headers={"Idempotency-Key": "a"},
            ),
            403,
            "not_allowed",
        )
        self.assert_problem(
            self.call(
                "POST",
                f"/payment-requests/{rid}/accept",
                self.key_gamma,
                headers={"Idempotency-Key": "a"},
            ),
            404,
            "request_unknown",
        )
        self.assert_problem(
            self.call("POST", f"/payment-requests/{rid}/accept", self.key_alpha),
            400,
            "idempotency_key_missing",
        )
        count = self.ledger_count()
        accepted = self.call(
            "POST",
            f"/payment-requests/{rid}/accept",
            self.key_alpha,
            headers={"Idempotency-Key": "acc-1"},
        )
        self.assertEqual(accepted.status_code, 200, accepted.text)
        self.assertEqual(accepted.json()["state"], "accepted")
        self.assertEqual(accepted.json()["transfer"]["amount"], "80.00")
        again = self.call(
            "POST",
            f"/payment-requests/{rid}/accept",
            self.key_alpha,
            headers={"Idempotency-Key": "acc-1"},
        )
        self.assertEqual(again.json(), accepted.json())
        self.assertEqual(self.ledger_count(), count + 1)
        self.assertEqual(self.balances(self.alpha, self.beta), (-80.0, 80.0))
        self.assert_problem(
            self.call("POST", f"/payment-requests/{rid}/cancel", self.key_beta),
            409,
            "request_not_open",
        )
        # Refuse and cancel.
        second = self.call(
            "POST", "/payment-requests", self.key_beta, {"payer": "CH-A", "amount": "5.00"}
        ).json()
        self.assert_problem(
            self.call("POST", f"/payment-requests/{second['id']}/refuse", self.key_alpha, {}),
            400,
            "field_missing",
        )
        refused = self.call(
            "POST",
            f"/payment-requests/{second['id']}/refuse",
            self.key_alpha,
            {"reason": "Non commandé"},
        )
        self.assertEqual(
            (refused.json()["state"], refused.json()["refusal_reason"]), ("refused", "Non commandé")
        )
        third = self.call(
            "POST", "/payment-requests", self.key_beta, {"payer": "CH-A", "amount": "6.00"}
        ).json()
        self.assert_problem(
            self.call("POST", f"/payment-requests/{third['id']}/cancel", self.key_alpha),
            403,
            "not_allowed",
        )
        self.assertEqual(
            self.call("POST", f"/payment-requests/{third['id']}/cancel", self.key_beta).json()[
                "state"
            ],
            "cancelled",
        )
        for bad in ("-1", "0", "x1", "1.5", "²"):
            self.assert_problem(
                self.call("POST", f"/payment-requests/{bad}/cancel", self.key_beta),
                404,
                "request_unknown",
            )
        self.assert_problem(
            self.call("POST", "/payment-requests/99999999999/cancel", self.key_beta),
            404,
            "request_unknown",
        )
        for body, code in (
            ({"payer": "CH-B", "amount": "5.00"}, "transfer_to_oneself"),
            ({"payer": "CH-A", "amount": "5"}, None),
            ({"payer": "CH-A", "amount": "5.00", "due_date": "31/12/2026"}, "date_invalid"),
            ({"payer": "CH-A", "amount": "5.00", "due_date": "2026-02-30"}, "date_invalid"),
            ({"payer": "CH-A", "amount": "5.00", "due_date": "0441-05-18"}, None),
            ({"payer": "XX", "amount": "5.00"}, "member_unknown"),
        ):
            response = self.call("POST", "/payment-requests", self.key_beta, body)
            if code:
                self.assertEqual(response.json()["code"], code)
            else:
                self.assertEqual(response.status_code, 201)
                self.assertEqual(response.json()["due_date"], body.get("due_date"))

    def test_openapi_describes_every_route(self):
        response = self.opener.get(f"{self.base_url()}{API}/openapi.json", timeout=30)
        self.assertEqual(response.status_code, 200)
        document = response.json()
        self.assertEqual(document["openapi"], "3.0.3")
        described = {
            (method.upper(), API + path)
            for path, operations in document["paths"].items()
            for method in operations
        }
        served = set()
        for rule in self.env["ir.http"].routing_map().iter_rules():
            if rule.rule.startswith(API) and not rule.rule.endswith("openapi.json"):
                path = rule.rule.replace("<string:request_id>", "{request_id}")
                for method in rule.methods or ():
                    if method not in ("HEAD", "OPTIONS"):
                        served.add((method, path))
        self.assertEqual(served, described)
        for path, operations in document["paths"].items():
            for operation in operations.values():
                for status in operation["responses"]:
                    self.assertIn(int(status), (200, 201, 400, 401, 403, 404, 409, 413, 422), path)

    def test_payment_request_is_asked_once_per_key(self):
        body = {"payer": "CH-A", "amount": "30.00", "reference": "FAC/30", "due_date": "2026-12-31"}
        headers = {"Idempotency-Key": "ask-30"}
        count = self.env["mlml.payment.request"].search_count([])
        first = self.call("POST", "/payment-requests", self.key_beta, body, headers=headers)
        self.assertEqual(first.status_code, 201, first.text)
        again = self.call("POST", "/payment-requests", self.key_beta, body, headers=headers)
        self.assertEqual(again.status_code, 200, again.text)
        self.assertEqual(again.json(), first.json())
        self.assertEqual(self.env["mlml.payment.request"].search_count([]), count + 1)
        other = self.call(
            "POST", "/payment-requests", self.key_beta, {**body, "amount": "31.00"}, headers=headers
        )
        self.assert_problem(other, 409, "idempotency_conflict")
        self.assertEqual(self.env["mlml.payment.request"].search_count([]), count + 1)
        # Another member may use the same key for its own request.
        own = self.call(
            "POST",
            "/payment-requests",
            self.key_gamma,
            {"payer": "CH-A", "amount": "30.00"},
            headers=headers,
        )
        self.assertEqual(own.status_code, 201, own.text)

    def test_payment_requests_are_read_as_a_feed_of_changes(self):
        asked = [
            self.call(
                "POST", "/payment-requests", self.key_beta, {"payer": "CH-A", "amount": amount}
            ).json()["id"]
            for amount in ("1.00", "2.00")
        ]
        page = self.call("GET", "/payment-requests", self.key_alpha).json()
        self.assertEqual(
            [(r["id"], r["state"]) for r in page["items"]], [(rid, "open") for rid in asked]
        )
        cursor = page["next"]
        self.assertEqual(
            self.call("GET", "/payment-requests", self.key_alpha, params={"after": cursor}).json()[
                "items"
            ],
            [],
        )
        self.call(
            "POST", f"/payment-requests/{asked[0]}/refuse", self.key_alpha, {"reason": "Doublon"}
        )
        changed = self.call(
            "GET", "/payment-requests", self.key_beta, params={"after": cursor}
        ).json()
        self.assertEqual(
            [(r["id"], r["state"], r["refusal_reason"]) for r in changed["items"]],
            [(asked[0], "refused", "Doublon")],
        )

    def test_own_transfers_carry_their_key(self):
        made = self.pay(self.key_alpha, {"payee": "CH-B", "amount": "4.00"}, idem="mine-4")
        self.assertEqual(made.json()["idempotency_key"], "mine-4")
        received = self.call("GET", "/transfers", self.key_beta).json()["items"]
        self.assertEqual([t["idempotency_key"] for t in received], [None])

    def test_key_from_the_members_portal(self):
        contact = self.env["res.partner"].create(
            {"name": "Alice Alpha", "parent_id": self.alpha.id, "email": "alice@alpha.example"}
        )
        new_test_user(
            self.env,
            login="alice",
            name="Alice Alpha",
            groups="base.group_portal",
            partner_id=contact.id,
        )
        self.authenticate("alice", "alice")
        home = self.url_open("/my/home")
        self.assertIn("/my/mlml", home.text)
        page = self.url_open("/my/mlml")
        self.assertEqual(page.status_code, 200)
        self.assertIn("CH-A", page.text)
        self.assertNotIn("o_mlml_api_key", page.text)
        made = self.url_open("/my/mlml/api-key", data={"csrf_token": http.Request.csrf_token(self)})
        self.assertEqual(made.status_code, 200)
        key = made.text.split('<code class="o_mlml_api_key fs-5">')[1].split("</code>")[0]
        account = self.call("GET", "/account", key)
        self.assertEqual(account.json()["member_number"], "CH-A")
        self.assertIn(
            "Alice Alpha made a new key of the clearing-house API from the portal.",
            self.alpha.message_ids[0].body,
        )
        self.assertNotIn(key, self.alpha.message_ids[0].body)
        # Shown once: the page does not show it again.
        self.assertNotIn(key, self.url_open("/my/mlml").text)
        # A portal user of a company that is not a member gets no key.
        outsider = self.env["res.partner"].create({"name": "Dupont SARL", "is_company": True})
        bob = self.env["res.partner"].create({"name": "Bob", "parent_id": outsider.id})
        new_test_user(self.env, login="bob", groups="base.group_portal", partner_id=bob.id)
        self.authenticate("bob", "bob")
        self.assertNotIn("/my/mlml", self.url_open("/my/home").text)
        self.assertTrue(self.url_open("/my/mlml").url.endswith("/my"))
        with self.assertLogs("odoo.http", "WARNING"):
            refused = self.url_open(
                "/my/mlml/api-key", data={"csrf_token": http.Request.csrf_token(self)}
            )
        self.assertEqual(refused.status_code, 403)

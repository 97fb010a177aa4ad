import json
from datetime import timedelta

from odoo import fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import HttpCase, tagged
from odoo.tools import mute_logger

from odoo.addons.mlml_barter.mlml_barter import api_spec
from odoo.addons.mlml_barter.models.clearing_house import mlml_api

from .common import forged_context
from .test_clearing_ledger import ClearingHouseCommon


@tagged("post_install", "-at_install")
class TestClearingApiKeys(ClearingHouseCommon, HttpCase):
    """The members' keys through the real API: made, listed, used, revoked for good."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.manager = cls.create_user(
            "ck_manager", "base.group_user,mlml_barter.group_mlml_manager"
        )
        cls.staff = cls.create_user(
            "ck_staff", "base.group_user,mlml_barter.group_mlml_clearing_staff"
        )
        cls.billing = cls.create_user("ck_billing", "account.group_account_invoice")
        cls.settings_admin = cls.create_user("ck_admin", "base.group_user,base.group_system")
        for user, name in (
            (cls.manager, "Marie Gérante"),
            (cls.staff, "Sam Guichet"),
            (cls.billing, "Bea Facture"),
            (cls.settings_admin, "Alain Admin"),
        ):
            user.name = name
        cls.Key = cls.env["mlml.api.key"]

    def status(self, key):
        """The HTTP status of reading the account with ``key``."""
        response = self.opener.get(
            f"{self.base_url()}{api_spec.BASE_PATH}/account",
            headers={"Authorization": f"Bearer {key}"},
            timeout=30,
        )
        self.assertLess(response.status_code, 500, response.text)
        return response.status_code

    def record(self, member):
        """The record of ``member``'s last key."""
        return self.Key.search([("partner_id", "=", member.id)], limit=1)

    def api_user(self, member):
        return (
            self.env["res.users"]
            .with_context(active_test=False)
            .search([("login", "=", f"mlml-api-{member.id}")])
        )

    def assert_noted(self, member, text):
        """``text`` is in a message of ``member``'s chatter."""
        bodies = member.message_ids.mapped("body")
        self.assertTrue(any(text in body for body in bodies), bodies)

    def call_kw(self, login, model, method, args, kwargs=None):
        self.authenticate(login, login)
        payload = {
            "jsonrpc": "2.0",
            "method": "call",
            "id": 1,
            "params": {"model": model, "method": method, "args": args, "kwargs": kwargs or {}},
        }
        response = self.url_open(
            f"/web/dataset/call_kw/{model}/{method}",
            data=json.dumps(payload),
            headers={"Content-Type": "application/json"},
        )
        response.raise_for_status()
        return response.json()

    # ------------------------------------------------------------------

    def test_archived_user_and_a_new_key_never_bring_a_revoked_key_back(self):
        """The attack: archiving the API user hid its key; a new key reactivated
        the user and the old key worked again."""
        key = self.alpha.mlml_generate_api_key()
        made = self.record(self.alpha)
        self.assertEqual(self.status(key), 200)
        user = self.api_user(self.alpha)
        # An administrator archives the API user, as Odoo's Archive action does.
        user.with_user(self.settings_admin).action_archive()
        self.assertFalse(user.active)
        self.assertEqual(self.status(key), 401)
        self.assertEqual((made.state, made.revoked_by_id), ("revoked", self.settings_admin))
        self.assertFalse(made.apikey_id)
        self.assert_noted(
            self.alpha,
            f"Alain Admin archived the API user mlml-api-{self.alpha.id}: its 1 key(s) of the "
            f"clearing-house API ({made.name}) are revoked for good.",
        )
        # A new key reactivates the user: only the new key opens the API.
        second = self.alpha.mlml_generate_api_key()
        self.assertTrue(user.active)
        self.assertEqual(self.status(key), 401)
        self.assertEqual(self.status(second), 200)
        # Archived and reactivated by hand: the revoked key stays refused.
        user.with_user(self.settings_admin).action_archive()
        user.with_user(self.settings_admin).action_unarchive()
        self.assertEqual(self.status(key), 401)
        self.assertEqual(self.status(second), 401)
        self.assertEqual(
            self.Key.search([("partner_id", "=", self.alpha.id)]).mapped("state"),
            ["revoked", "revoked"],
        )

    def test_a_new_key_leaves_the_others_and_one_is_revoked(self):
        first = self.alpha.with_user(self.manager).mlml_generate_api_key()
        first_record = self.record(self.alpha)
        second = self.alpha.with_user(self.manager).mlml_generate_api_key()
        second_record = self.record(self.alpha)
        self.assertEqual((self.status(first), self.status(second)), (200, 200))
        self.assertEqual(second_record.name, "CH-A/2")
        self.assert_noted(
            self.alpha,
            "Marie Gérante made a new key of the clearing-house API. Name of the key: CH-A/2.",
        )
        self.assertFalse(any(second in body for body in self.alpha.message_ids.mapped("body")))
        # Staff may read the keys, not revoke them.
        with self.assert_refused(AccessError, "Only the clearing house's MLML managers revoke"):
            first_record.with_user(self.staff).action_revoke()
        self.assertEqual(self.status(first), 200)
        first_record.with_user(self.manager).action_revoke()
        self.assertEqual((self.status(first), self.status(second)), (401, 200))
        self.assertEqual(
            (first_record.state, first_record.revoked_by_id, second_record.state),
            ("revoked", self.manager, "active"),
        )
        self.assert_noted(
            self.alpha,
            "Marie Gérante revoked the key of the clearing-house API CH-A/1: it is refused from "
            "now on.",
        )
        self.assertFalse(first_record.apikey_id)
        self.assertEqual(
            self.env["res.users.apikeys"]
            .sudo()
            .search_count([("user_id", "=", self.api_user(self.alpha).id)]),
            1,
        )
        # A third key leaves the revoked one revoked.
        third = self.alpha.with_user(self.manager).mlml_generate_api_key()
        self.assertEqual(
            (self.status(first), self.status(second), self.status(third)), (401, 200, 200)
        )

    def test_revoke_all_keys_of_a_suspended_member(self):
        keys = [self.alpha.mlml_generate_api_key() for _i in range(2)]
        other = self.beta.mlml_generate_api_key()
        self.alpha.action_mlml_suspend("Unpaid membership fee")
        self.assertEqual(self.alpha.with_user(self.manager).mlml_api_key_count, 2)
        # The form offers it to an MLML manager of the clearing house.
        arch = self.env["res.partner"].with_user(self.manager).get_views([(False, "form")])
        arch = arch["views"]["form"]["arch"]
        self.assertIn('name="action_mlml_revoke_api_keys"', arch)
        self.assertIn("This member is suspended or has resigned", arch)
        billing_arch = self.env["res.partner"].with_user(self.billing).get_views([(False, "form")])
        self.assertNotIn("action_mlml_revoke_api_keys", billing_arch["views"]["form"]["arch"])
        action = self.alpha.with_user(self.manager).action_mlml_revoke_api_keys()
        self.assertEqual(
            action["params"]["message"],
            "2 key(s) of Alpha Nettoyage revoked: they open the API no more.",
        )
        self.assertEqual([self.status(key) for key in keys], [401, 401])
        self.assertEqual(self.status(other), 200)
        self.assertEqual(self.alpha.with_user(self.manager).mlml_api_key_count, 0)
        self.assert_noted(
            self.alpha,
            "Marie Gérante revoked all the keys of the clearing-house API of this member: "
            "2 key(s) (CH-A/2, CH-A/1), refused from now on.",
        )
        with self.assert_refused(AccessError, "Only the clearing house's MLML managers revoke"):
            self.beta.with_user(self.staff).action_mlml_revoke_api_keys()
        # The same from the account of a member that resigns.
        self.beta.action_mlml_resign()
        account = self.Account.with_user(self.manager).search([("partner_id", "=", self.beta.id)])
        self.assertEqual(account.api_key_count, 1)
        account.action_revoke_api_keys()
        self.assertEqual(self.status(other), 401)
        self.assert_noted(
            self.beta,
            "Marie Gérante revoked all the keys of the clearing-house API of this member: "
            "1 key(s) (CH-B/1), refused from now on.",
        )
        with self.assert_refused(
            UserError, "Beta Imprimerie has no key of the clearing-house API in force"
        ):
            account.action_revoke_api_keys()

    def test_last_used_written_once_in_a_while(self):
        key = self.alpha.mlml_generate_api_key()
        made = self.record(self.alpha)
        self.assertFalse(made.last_used)
        before = fields.Datetime.now().replace(microsecond=0)
        self.assertEqual(self.status(key), 200)
        made.invalidate_recordset()
        self.assertGreaterEqual(made.last_used, before)
        # The next calls of this process do not write it again...
        an_hour_ago = fields.Datetime.now() - timedelta(hours=1)
        self.env.cr.execute(
            "UPDATE mlml_api_key SET last_used = %s WHERE id = %s", [an_hour_ago, made.id]
        )
        made.invalidate_recordset()
        self.assertEqual(self.status(key), 200)
        made.invalidate_recordset()
        self.assertEqual(made.last_used, an_hour_ago.replace(microsecond=0))
        # ... until a few minutes have passed (here: forgotten).
        mlml_api._USED.pop(made.id)
        self.assertEqual(self.status(key), 200)
        made.invalidate_recordset()
        self.assertGreaterEqual(made.last_used, before)

    def test_billing_user_neither_makes_nor_revokes_keys_over_json_rpc(self):
        key = self.alpha.mlml_generate_api_key()
        made = self.record(self.alpha)
        account = self.Account.search([("partner_id", "=", self.alpha.id)])
        self.env.flush_all()
        count = self.Key.search_count([])
        apikeys = self.env["res.users.apikeys"].sudo().search_count([])
        notes = len(self.alpha.message_ids)
        kwargs = {"context": forged_context()}
        calls = [
            ("res.partner", "mlml_generate_api_key", [self.alpha.ids], "AccessError"),
            ("res.partner", "action_mlml_generate_api_key", [self.alpha.ids], "AccessError"),
            ("res.partner", "action_mlml_revoke_api_keys", [self.alpha.ids], "AccessError"),
            ("mlml.ledger.account", "action_generate_api_key", [account.ids], "AccessError"),
            ("mlml.ledger.account", "action_revoke_api_keys", [account.ids], "AccessError"),
            ("mlml.api.key", "action_revoke", [made.ids], "AccessError"),
            ("mlml.api.key", "write", [made.ids, {"state": "revoked"}], "AccessError"),
            ("mlml.api.key", "unlink", [made.ids], "AccessError"),
            ("mlml.api.key", "read", [made.ids, ["name"]], "AccessError"),
            (
                "mlml.api.key",
                "create",
                [{"name": "x", "company_id": self.company.id, "account_id": account.id}],
                "AccessError",
            ),
        ]
        for model, method, args, error in calls:
            with self.subTest(method=method), mute_logger("odoo.http"):
                answer = self.call_kw("ck_billing", model, method, args, kwargs)
                self.assertEqual(
                    answer.get("error", {}).get("data", {}).get("name"),
                    f"odoo.exceptions.{error}",
                    answer,
                )
        messages = {
            "mlml_generate_api_key": "Only the clearing house's MLML managers give a member a key",
            "action_revoke": "Only the clearing house's MLML managers revoke a key of its API.",
        }
        for method, text in messages.items():
            model = "mlml.api.key" if method == "action_revoke" else "res.partner"
            ids = made.ids if method == "action_revoke" else self.alpha.ids
            with mute_logger("odoo.http"):
                answer = self.call_kw("ck_billing", model, method, [ids], kwargs)
            self.assertIn(text, answer["error"]["data"]["message"])
        self.assertEqual(self.Key.search_count([]), count)
        self.assertEqual(self.env["res.users.apikeys"].sudo().search_count([]), apikeys)
        self.assertEqual(len(self.alpha.message_ids), notes)
        self.assertEqual(made.state, "active")
        self.assertEqual(self.status(key), 200)
        # The same calls by an MLML manager of the clearing house do it.
        answer = self.call_kw("ck_manager", "mlml.api.key", "action_revoke", [made.ids], kwargs)
        self.assertIs(answer["result"], True)
        self.assertEqual(self.status(key), 401)

    def test_keys_listed_on_the_account(self):
        self.alpha.mlml_generate_api_key()
        self.alpha.with_user(self.manager).mlml_generate_api_key()
        self.record(self.alpha).with_user(self.manager).action_revoke()
        account = self.Account.with_user(self.staff).search([("partner_id", "=", self.alpha.id)])
        keys = account.api_key_ids
        self.assertEqual(
            [(k.name, k.create_uid, k.state, k.revoked_by_id) for k in keys],
            [
                ("CH-A/2", self.manager, "revoked", self.manager),
                ("CH-A/1", self.env.user, "active", self.env["res.users"]),
            ],
        )
        self.assertEqual(account.api_key_count, 1)
        self.assertEqual(keys.api_user_id, self.api_user(self.alpha))
        # The page of the form, for the clearing house's staff only.
        arch = self.Account.with_user(self.staff).get_views([(False, "form")])["views"]["form"][
            "arch"
        ]
        self.assertIn('name="api_key_ids"', arch)
        billing = self.Account.with_user(self.billing)
        self.assertNotIn(
            "api_key_ids", billing.get_views([(False, "form")])["views"]["form"]["arch"]
        )
        with self.assertRaises(AccessError):
            billing.browse(account.id).read(["api_key_ids"])
        with self.assertRaises(AccessError):
            self.Key.with_user(self.billing).search([])

    def test_keys_made_before_they_were_recorded(self):
        """Keys made before this version: adopted when the user is active, revoked
        for good when it was archived."""
        self.alpha.mlml_generate_api_key()
        self.beta.mlml_generate_api_key()
        Apikeys = self.env["res.users.apikeys"].sudo()
        older = (
            Apikeys.with_user(self.api_user(self.alpha))
            .sudo()
            ._generate("mlml_api", "MLML clearing house API (Alpha Nettoyage)", None)
        )
        hidden = (
            Apikeys.with_user(self.api_user(self.beta))
            .sudo()
            ._generate("mlml_api", "MLML clearing house API (Beta Imprimerie)", None)
        )
        # Unrecorded, they open nothing.
        self.assertEqual((self.status(older), self.status(hidden)), (401, 401))
        # Beta's user was archived by the former code, which revoked nothing.
        self.env.cr.execute(
            "UPDATE res_users SET active = false WHERE id = %s", [self.api_user(self.beta).id]
        )
        self.env.invalidate_all()
        adopted = self.Key._adopt_keys()
        self.assertEqual(
            [(k.name, k.partner_id, k.state) for k in adopted],
            [("CH-A/2", self.alpha, "active"), ("CH-B/2", self.beta, "revoked")],
        )
        self.assertEqual(self.status(older), 200)
        self.api_user(self.beta).action_unarchive()
        self.assertEqual(self.status(hidden), 401)
        self.assertFalse(self.Key._adopt_keys())

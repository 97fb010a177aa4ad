import json

from odoo.tests import HttpCase, tagged
from odoo.tools import mute_logger

from .servers import EndToEndCommon


@tagged("post_install", "-at_install")
class TestDirectoryRefresh(EndToEndCommon, HttpCase):
    """*Refresh* on the members' kanban, list and form, as the web client calls it,
    against a clearing house served by an Odoo of its own.

    The clearing house lists Atelier A (this database's company), Boulangerie B
    (now offering bread and catering), Cordonnerie C and Droguerie D; this
    database knows A, B (no offers), C, and Ébénisterie E, which the clearing
    house no longer lists.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        (cls.ch,) = cls.serve_databases("dir", "ch")
        members = [
            ("Atelier A", "MA-1"),
            ("Boulangerie B", "MB-1"),
            ("Cordonnerie C", "MC-1"),
            ("Droguerie D", "MD-1"),
        ]
        ch_partners, keys = cls._setup_clearing_house(cls.ch, members)
        bread = cls.ch.rpc("mlml.activity", "create", {"name": "Pain"})
        catering = cls.ch.rpc("mlml.activity", "create", {"name": "Traiteur"})
        cls.ch.rpc(
            "res.partner",
            "write",
            [ch_partners["MB-1"]],
            {"mlml_offer_ids": [[6, 0, [bread, catering]]]},
        )
        cls.ch.rpc("res.partner", "write", [ch_partners["MD-1"]], {"city": "Roubaix"})
        local = cls._setup_member_a(keys["MA-1"], members[:3])
        cls.b, cls.c = local["MB-1"], local["MC-1"]
        cls.e = cls.create_member("Ébénisterie E", number="ME-1")
        cls.manager = cls.create_user(
            "mlml_dir_manager", "account.group_account_invoice,mlml_barter.group_mlml_manager"
        )
        cls.salesperson = cls.create_user(
            "mlml_dir_sales", "account.group_account_invoice,mlml_barter.group_mlml_user"
        )

    def call_button(self, login, ids):
        """The button as the web client calls it: /web/dataset/call_button with the
        ids of the view's records; return the JSON-RPC answer."""
        self.env.flush_all()
        self.authenticate(login, login)
        payload = {
            "jsonrpc": "2.0",
            "method": "call",
            "id": 1,
            "params": {
                "model": "res.partner",
                "method": "action_mlml_refresh_directory",
                "args": [ids],
                "kwargs": {"context": {"lang": "en_US", "allowed_company_ids": self.company.ids}},
            },
        }
        with mute_logger("odoo.http"):
            response = self.url_open(
                "/web/dataset/call_button/res.partner/action_mlml_refresh_directory",
                data=json.dumps(payload),
                headers={"Content-Type": "application/json"},
            )
        self.assertEqual(response.status_code, 200)
        self.env.invalidate_all()
        return response.json()

    def directory(self, number):
        return self.env["res.partner"].search([("mlml_member_number", "=", number)])

    def test_refresh_from_the_list_says_what_changed(self):
        # The list passes the ids of its records (none when it is empty).
        answer = self.call_button(self.manager.login, [self.b.id, self.c.id])
        self.assertNotIn("error", answer, answer.get("error"))
        params = answer["result"]["params"]
        self.assertEqual(params["title"], "Member directory refreshed")
        self.assertEqual(
            params["message"],
            "1 member(s) added, 1 updated, 1 unchanged, 1 no longer in the directory; each "
            "change is in the member's chatter. Suspended here, as the clearing house no "
            "longer lists them: Ébénisterie E.",
        )
        self.assertEqual(params["type"], "warning")
        droguerie = self.directory("MD-1")
        self.assertRecordValues(
            droguerie,
            [{"name": "Droguerie D", "city": "Roubaix", "mlml_member_state": "active"}],
        )
        self.assertEqual(sorted(self.b.mlml_offer_ids.mapped("name")), ["Pain", "Traiteur"])
        self.assertIn("Offers:  → Pain, Traiteur", self.b.message_ids[0].body)
        self.assertEqual(self.e.mlml_member_state, "suspended")
        self.assertIn(
            "No longer in the directory of the clearing house",
            " ".join(self.e.message_ids.mapped("body")),
        )
        self.assertEqual(self.company.partner_id.mlml_member_state, "active")
        # Again, from a form (one id) then from an empty list: nothing changes.
        for ids in ([droguerie.id], []):
            answer = self.call_button(self.manager.login, ids)
            self.assertEqual(
                answer["result"]["params"]["message"],
                "0 member(s) added, 0 updated, 3 unchanged, 0 no longer in the directory; "
                "each change is in the member's chatter.",
            )
            self.assertEqual(answer["result"]["params"]["type"], "success")

    def test_only_managers_refresh(self):
        answer = self.call_button(self.salesperson.login, [self.b.id])
        self.assertEqual(answer["error"]["data"]["name"], "odoo.exceptions.AccessError")
        self.assertIn("Only MLML managers", answer["error"]["data"]["message"])
        self.assertFalse(self.directory("MD-1"))
        self.assertEqual(self.e.mlml_member_state, "active")

    def test_refresh_from_the_kanban_list_and_form(self):
        self.start_tour(
            "/odoo/action-mlml_barter.res_partner_mlml_member_action",
            "mlml_barter_directory_refresh",
            login=self.manager.login,
        )
        self.assertEqual(self.directory("MD-1").mlml_member_state, "active")
        self.assertEqual(self.e.mlml_member_state, "suspended")

"""A member company's connection to its clearing house, attacked over JSON-RPC.

Each attack is replayed as the user of the member company who would try it,
through ``/web/dataset/call_kw`` with a session, with every ``mlml_*`` key the
add-on reads set in the call's context: a payment waiting for the clearing
house's answer stays waiting and unchanged until it answers, and the secrets of
the connection are written, never read back.
"""

import socket

from odoo import Command, fields
from odoo.tests import HttpCase, new_test_user, tagged

from .common import JsonRpcCalls
from .test_clearing_ledger import ClearingHouseCommon

WAITING = "waits to be sent to the clearing house, which may already have made it"
LEDGER_ONLY = "written from the clearing house's answers only, never by hand"
SECRETS = ("mlml_clearing_house_key", "mlml_cyclos_token", "mlml_cyclos_password")
SETTINGS = (
    "mlml_clearing_house_key_input",
    "mlml_clearing_house_key_set",
    "mlml_cyclos_token_input",
    "mlml_cyclos_token_set",
    "mlml_cyclos_password_set",
)


@tagged("post_install", "-at_install")
class TestConnectorSecurity(JsonRpcCalls, ClearingHouseCommon, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.member = cls.setup_other_company(name="Delta Services")["company"]
        cls.delta = cls.member.partner_id
        cls.delta.write(
            {
                "mlml_member_state": "candidate",
                "mlml_member_number": "CH-D",
                "mlml_charter_date": "2026-01-15",
            }
        )
        cls.delta.action_mlml_activate()
        cls.create_line(cls.delta, "approved", limit=1000.0, ceiling=2000.0)
        cls.create_line(
            cls.delta, "approved", limit=1000.0, ceiling=2000.0, company_id=cls.member.id
        )
        cls.key = cls.delta.mlml_generate_api_key()
        cls.member.write(
            {
                "mlml_clearing_house_url": cls.base_url(),
                "mlml_clearing_house_key": cls.key,
                "mlml_cyclos_token": "cyclos-token-kept",
                "mlml_cyclos_password": "cyclos-password-kept",
            }
        )
        cls.journal = cls.member.mlml_journal_id

        def member_user(login, groups):
            return new_test_user(
                cls.env,
                login=login,
                groups=groups,
                company_id=cls.member.id,
                company_ids=[Command.set(cls.member.ids)],
            )

        cls.billing = member_user("delta_billing", "account.group_account_invoice")
        cls.manager = member_user(
            "delta_manager",
            "account.group_account_invoice,mlml_barter.group_mlml_manager,base.group_allow_export",
        )
        cls.admin = cls.env.ref("base.user_admin")
        cls.admin.company_ids |= cls.member

    # ------------------------------------------------------------------

    def call_kw(self, login, model, method, args, kwargs=None, password=None):
        """``model.method(*args, **kwargs)`` over JSON-RPC as ``login``, with the
        forged context: (the answer, the body as sent)."""
        response = self.rpc(
            login,
            model,
            method,
            args,
            kwargs,
            password=password,
            context={"allowed_company_ids": [self.member.id]},
        )
        return response.json(), response.text

    def assert_rpc_refused(self, answer, message, error="odoo.exceptions.UserError"):
        self.assertNotIn("result", answer)
        self.assertEqual(answer["error"]["data"]["name"], error)
        self.assertIn(message, answer["error"]["data"]["message"])

    @staticmethod
    def closed_url():
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        return f"http://127.0.0.1:{port}"

    def ledger_transfers(self):
        return self.Transfer.search([("company_id", "=", self.company.id)])

    def waiting_payment(self, amount=100.0):
        """A payment the clearing house did not answer: it waits to be sent."""
        self.member.mlml_clearing_house_url = self.closed_url()
        payment = (
            self.env["account.payment"]
            .with_company(self.member)
            .create(
                {
                    "company_id": self.member.id,
                    "payment_type": "outbound",
                    "partner_type": "supplier",
                    "partner_id": self.alpha.id,
                    "amount": amount,
                    "journal_id": self.journal.id,
                    "memo": "FA-ALPHA-9",
                }
            )
        )
        payment.action_post()
        self.assertEqual(payment.mlml_send_state, "to_send")
        return payment

    def waiting_bill_payment(self):
        """A bill paid in MLML while the clearing house is down: the payment waits
        with its draft entry, matched with the bill once sent."""
        bill = (
            self.env["account.move"]
            .with_company(self.member)
            .create(
                {
                    "move_type": "in_invoice",
                    "partner_id": self.alpha.id,
                    "invoice_date": fields.Date.today(),
                    "ref": "ALPHA-90",
                    "invoice_line_ids": [
                        Command.create({"name": "Prestation", "price_unit": 500.0, "tax_ids": []})
                    ],
                }
            )
        )
        bill.mlml_share = 50.0
        bill.action_post()
        self.member.mlml_clearing_house_url = self.closed_url()
        payment = (
            self.env["account.payment.register"]
            .with_company(self.member)
            .with_context(active_model="account.move", active_ids=bill.ids)
            .create({"journal_id": self.journal.id})
            ._create_payments()
        )
        self.assertEqual(payment.mlml_send_state, "to_send")
        self.assertEqual(payment.move_id.state, "draft")
        return bill, payment

    def payment_state(self, payment):
        """What the accountant sees of a payment, and of its entry."""
        payment.invalidate_recordset()
        move = payment.move_id
        return {
            "payment": payment.read(
                [
                    "state",
                    "amount",
                    "partner_id",
                    "memo",
                    "date",
                    "mlml_send_state",
                    "mlml_send_message",
                    "mlml_transfer_ref",
                    "mlml_transfer_number",
                    "move_id",
                ]
            ),
            "move": move.read(["state", "amount_total", "date"]) if move else None,
            "lines": sorted(
                (line.account_id.id, line.debit, line.credit, line.amount_currency)
                for line in move.line_ids
            ),
            "messages": len(payment.message_ids),
        }

    def send_waiting(self, payment):
        """The clearing house is back: the scheduled action sends the payment."""
        self.member.mlml_clearing_house_url = self.base_url()
        self.env["account.payment"]._cron_mlml_send()
        payment.invalidate_recordset()

    # ------------------------------------------------------------------
    # A payment waiting for the clearing house
    # ------------------------------------------------------------------

    def test_waiting_payment_is_not_unlocked_by_any_value(self):
        payment = self.waiting_payment()
        before = self.payment_state(payment)
        transfers = self.ledger_transfers()
        attempts = [
            {"mlml_send_state": False},
            {"mlml_send_state": ""},
            {"mlml_send_state": None},
            {"mlml_send_state": "sent"},
            {"mlml_send_state": "refused"},
            {"mlml_send_message": False},
            {"mlml_transfer_ref": False},
            {"mlml_transfer_ref": "999", "mlml_transfer_number": "VIR/999"},
        ]
        for login in ("delta_billing", "delta_manager"):
            for vals in attempts:
                with self.subTest(login=login, vals=vals):
                    answer, __ = self.call_kw(
                        login, "account.payment", "write", [payment.ids, vals]
                    )
                    self.assert_rpc_refused(answer, LEDGER_ONLY)
                    self.assertEqual(self.payment_state(payment), before)
        answer, __ = self.call_kw(
            "delta_billing", "account.payment", "write", [payment.ids, {"mlml_send_state": False}]
        )
        self.assertEqual(
            answer["error"]["data"]["message"],
            "Clearing House: written from the clearing house's answers only, never by hand. "
            "Post the payment to send it; a payment waiting to be sent is sent again until "
            "the clearing house answers.",
        )
        # Nor, once refused, is it changed, cancelled, reset or deleted.
        calls = [
            ("write", [payment.ids, {"amount": 90.0}]),
            ("write", [payment.ids, {"partner_id": self.beta.id}]),
            ("write", [payment.ids, {"state": "canceled"}]),
            ("write", [payment.ids, {"state": "in_process"}]),
            ("write", [payment.ids, {"date": "2026-01-02"}]),
            ("action_draft", [payment.ids]),
            ("action_cancel", [payment.ids]),
            ("unlink", [payment.ids]),
        ]
        for method, args in calls:
            with self.subTest(method=method, args=args):
                answer, __ = self.call_kw("delta_billing", "account.payment", method, args)
                self.assert_rpc_refused(answer, WAITING)
                self.assertEqual(self.payment_state(payment), before)
        self.assertEqual(self.ledger_transfers(), transfers)
        # Only the clearing house's answer ends the wait: sent once, with its key.
        self.send_waiting(payment)
        transfer = self.ledger_transfers() - transfers
        self.assertEqual((transfer.amount, transfer.reference), (100.0, "FA-ALPHA-9"))
        self.assertRecordValues(
            payment,
            [
                {
                    "state": "paid",
                    "mlml_send_state": "sent",
                    "mlml_transfer_ref": str(transfer.id),
                    "amount": 100.0,
                }
            ],
        )

    def test_waiting_payment_entry_is_not_changed(self):
        bill, payment = self.waiting_bill_payment()
        before = self.payment_state(payment)
        move = payment.move_id
        line = move.line_ids[0]
        transfers = self.ledger_transfers()
        calls = [
            ("account.move", "button_cancel", [move.ids]),
            ("account.move", "action_post", [move.ids]),
            ("account.move", "unlink", [move.ids]),
            ("account.move", "write", [move.ids, {"date": "2026-01-02"}]),
            (
                "account.move",
                "write",
                [move.ids, {"line_ids": [Command.update(line.id, {"amount_currency": -1.0})]}],
            ),
            ("account.move.line", "write", [line.ids, {"amount_currency": -1.0}]),
            ("account.move.line", "unlink", [line.ids]),
            ("account.payment", "action_draft", [payment.ids]),
        ]
        for model, method, args in calls:
            with self.subTest(model=model, method=method):
                answer, __ = self.call_kw("delta_billing", model, method, args)
                self.assert_rpc_refused(answer, WAITING)
                self.assertEqual(self.payment_state(payment), before)
        # A draft entry is not reset to draft (Odoo's own rule).
        answer, __ = self.call_kw("delta_billing", "account.move", "button_draft", [move.ids])
        self.assert_rpc_refused(answer, "Only posted/cancelled journal entries can be reset")
        self.assertEqual(self.payment_state(payment), before)
        self.assertEqual(self.ledger_transfers(), transfers)
        self.send_waiting(payment)
        transfer = self.ledger_transfers() - transfers
        self.assertEqual((transfer.amount, transfer.reference), (250.0, "ALPHA-90"))
        self.assertRecordValues(payment, [{"state": "paid", "mlml_send_state": "sent"}])
        self.assertEqual(payment.move_id, move)
        self.assertEqual(move.state, "posted")
        self.assertEqual(bill.mlml_residual, 0.0)

    def test_posted_payment_is_not_deleted_with_the_uninstall_flag(self):
        # Not connected: the company books its MLML payments by hand.
        self.member.mlml_clearing_house_url = False
        payment = (
            self.env["account.payment"]
            .with_company(self.member)
            .create(
                {
                    "payment_type": "outbound",
                    "partner_type": "supplier",
                    "partner_id": self.alpha.id,
                    "amount": 30.0,
                    "journal_id": self.journal.id,
                }
            )
        )
        payment.action_post()
        before = self.payment_state(payment)
        answer, __ = self.call_kw("delta_billing", "account.payment", "unlink", [payment.ids])
        self.assert_rpc_refused(answer, "has moved the balance at the clearing house")
        self.assertEqual(self.payment_state(payment), before)
        self.assertEqual(payment.state, "paid")

    def test_payment_is_not_created_with_a_transfer(self):
        payments = self.env["account.payment"].search_count([])
        vals = {
            "payment_type": "outbound",
            "partner_type": "supplier",
            "partner_id": self.alpha.id,
            "amount": 40.0,
            "journal_id": self.journal.id,
        }
        attempts = [
            ({**vals, "mlml_send_state": "sent", "mlml_transfer_ref": "999"}, {}),
            ({**vals, "mlml_send_state": False}, {}),
            (vals, {"default_mlml_transfer_ref": "999", "default_mlml_send_state": "sent"}),
        ]
        for values, context in attempts:
            with self.subTest(values=values, context=context):
                answer, __ = self.call_kw(
                    "delta_billing", "account.payment", "create", [values], {"context": context}
                )
                self.assert_rpc_refused(answer, LEDGER_ONLY)
                self.assertEqual(self.env["account.payment"].search_count([]), payments)
        # Without them, the same call creates the draft payment.
        answer, __ = self.call_kw("delta_billing", "account.payment", "create", [vals])
        self.assertRecordValues(
            self.env["account.payment"].browse(answer["result"]),
            [{"state": "draft", "mlml_send_state": False, "amount": 40.0}],
        )

    # ------------------------------------------------------------------
    # The secrets of the connection
    # ------------------------------------------------------------------

    def test_secrets_are_never_read_back(self):
        secret = self.member._mlml_secret()
        self.assertEqual(
            (secret.clearing_house_key, secret.cyclos_token, secret.cyclos_password),
            (self.key, "cyclos-token-kept", "cyclos-password-kept"),
        )
        ids = self.member.ids
        reads = [
            ("read", [ids, list(SECRETS)], {}),
            ("search_read", [[("id", "in", ids)], list(SECRETS)], {}),
            ("web_read", [ids], {"specification": {name: {} for name in SECRETS}}),
            ("export_data", [ids, list(SECRETS)], {}),
        ]
        for login, password in (("delta_manager", None), ("admin", "admin")):
            for method, args, kwargs in reads:
                with self.subTest(login=login, method=method):
                    answer, body = self.call_kw(
                        login, "res.company", method, args, kwargs, password=password
                    )
                    for text in (self.key, "cyclos-token-kept", "cyclos-password-kept"):
                        self.assertNotIn(text, body)
                    result = answer["result"]
                    rows = result["datas"] if method == "export_data" else result
                    self.assertEqual(len(rows), 1)
                    values = rows[0] if method == "export_data" else [rows[0][n] for n in SECRETS]
                    self.assertFalse(any(values), values)
            # Nor grouped by, nor searched for, a character at a time.
            groupings = [
                ("read_group", [[], ["id:count"], ["mlml_clearing_house_key"]], "not stored"),
                (
                    "search_count",
                    [[("mlml_clearing_house_key", "=like", self.key[:1] + "%")]],
                    "never read back, nor searched",
                ),
            ]
            for method, args, refusal in groupings:
                with self.subTest(login=login, method=method):
                    answer, body = self.call_kw(
                        login, "res.company", method, args, password=password
                    )
                    self.assertIn(refusal, answer["error"]["data"]["message"])
                    self.assertNotIn(self.key, body)
        # A billing user may not even ask.
        answer, __ = self.call_kw(
            "delta_billing", "res.company", "read", [ids, ["mlml_clearing_house_key"]]
        )
        self.assertEqual(answer["error"]["data"]["name"], "odoo.exceptions.AccessError")
        # The settings say a key is saved, and the connection works with it.
        answer, body = self.call_kw(
            "admin",
            "res.config.settings",
            "web_save",
            [[], {}],
            {"specification": {name: {} for name in SETTINGS}},
            password="admin",
        )
        self.assertNotIn(self.key, body)
        self.assertEqual(
            {name: answer["result"][0][name] for name in SETTINGS},
            {
                "mlml_clearing_house_key_input": False,
                "mlml_clearing_house_key_set": True,
                "mlml_cyclos_token_input": False,
                "mlml_cyclos_token_set": True,
                "mlml_cyclos_password_set": True,
            },
        )
        ok, message = self.member._mlml_test_connection()
        self.assertTrue(ok, message)
        self.assertIn("Connected to the clearing house: account CH-D (Delta Services)", message)

    def test_secret_is_written_then_reads_empty(self):
        for key, works in (("wrong-key", False), (self.key, True)):
            with self.subTest(key=key):
                answer, body = self.call_kw(
                    "admin",
                    "res.company",
                    "web_save",
                    [self.member.ids, {"mlml_clearing_house_key": key}],
                    {"specification": {"mlml_clearing_house_key": {}}},
                    password="admin",
                )
                self.assertEqual(
                    answer["result"], [{"id": self.member.id, "mlml_clearing_house_key": False}]
                )
                self.assertNotIn(key, body)
                self.assertEqual(self.member._mlml_secret().clearing_house_key, key)
                ok, message = self.member._mlml_test_connection()
                self.assertEqual(ok, works, message)
        self.assertEqual(self.member._mlml_secret().cyclos_token, "cyclos-token-kept")

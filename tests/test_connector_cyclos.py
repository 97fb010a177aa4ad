import os
import unittest
from decimal import Decimal

import requests

from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from .common import MlmlBarterCommon

NBSP = "\N{NO-BREAK SPACE}"

# The test command (tools/test.py) starts the Cyclos mock from its own venv
# (python -m mlml_barter.tests.cyclos_mock_server: it validates every request
# against Cyclos' OpenAPI description) and gives its address here.
CYCLOS_MOCK = os.environ.get("MLML_CYCLOS_MOCK", "").rstrip("/")

# The users of the mock's data: the company (Cyclos user 100, account 100-001),
# and two other members, whose numbers are in the custom profile field "numero".
COMPANY_USER, PRINTER_USER = "100", "200"


@tagged("post_install", "-at_install")
class TestConnectorCyclos(MlmlBarterCommon):
    """A member company whose network runs on Cyclos 4: it pays, is paid,
    reconciles and handles payment requests as with the clearing house, against
    a Cyclos that checks each request against Cyclos' description."""

    @classmethod
    def setUpClass(cls):
        if not CYCLOS_MOCK:
            raise unittest.SkipTest(
                "Cyclos mock not running: set MLML_CYCLOS_MOCK to its URL "
                "(python3 tools/test.py starts it)"
            )
        try:
            requests.get(f"{CYCLOS_MOCK}/__mock__/violations", timeout=5).raise_for_status()
        except requests.RequestException as error:
            raise unittest.SkipTest(f"Cyclos mock not running at {CYCLOS_MOCK}: {error}") from error
        super().setUpClass()
        cls.company = cls.env.company
        partner = cls.company.partner_id
        cls.activate_member(partner, "M-001")
        cls.create_line(partner, "approved", limit=1000.0, ceiling=2000.0)
        cls.printer = cls.create_member("Imprimerie du Nord", number="M-002")
        cls.journal = cls.company._mlml_ensure_journal()
        cls.company.write(
            {
                "mlml_backend": "cyclos",
                "mlml_clearing_house_url": CYCLOS_MOCK,
                "mlml_cyclos_auth": "token",
                "mlml_cyclos_token": "token-ok",
                "mlml_cyclos_account_type": "mlml",
                "mlml_cyclos_payment_type": "mlml.paiement",
                "mlml_cyclos_member_field": "numero",
                "mlml_cyclos_offers_field": "offres",
                "mlml_cyclos_needs_field": "besoins",
            }
        )
        cls.Request = cls.env["mlml.member.request"]
        cls.StLine = cls.env["account.bank.statement.line"]

    def setUp(self):
        super().setUp()
        self.control("POST", "reset", {"balance": "0.00"})
        self.addCleanup(self.assert_no_violation)

    # ------------------------------------------------------------------

    def control(self, method, action, body=None):
        response = requests.request(
            method, f"{CYCLOS_MOCK}/__mock__/{action}", json=body, timeout=10
        )
        self.assertEqual(response.status_code, 200, response.text)
        return response.json()

    def assert_no_violation(self):
        """No request the add-on sent was one Cyclos' description does not allow."""
        self.assertEqual(self.control("GET", "violations")["violations"], [])

    def cyclos(self):
        return self.control("GET", "state")

    def payment(self, amount, memo="FA-IMP-1"):
        return (
            self.env["account.payment"]
            .with_company(self.company)
            .create(
                {
                    "payment_type": "outbound",
                    "partner_type": "supplier",
                    "partner_id": self.printer.id,
                    "amount": amount,
                    "journal_id": self.journal.id,
                    "memo": memo,
                }
            )
        )

    def document(self, move_type, amount, share, ref=None):
        return self.post_document(move_type, self.printer, amount, share, ref)

    def synchronize(self):
        self.assertTrue(self.company.mlml_synchronize(), self.company.mlml_sync_message)

    def books_balance(self):
        self.company.invalidate_recordset()
        return self.company.mlml_balance

    # ------------------------------------------------------------------
    # Settings
    # ------------------------------------------------------------------

    def test_connection_test_says_what_cyclos_says(self):
        self.control("POST", "transfer", {"other": PRINTER_USER, "amount": "-200.00"})
        settings = self.env["res.config.settings"].create({})
        self.assertEqual(settings.mlml_backend, "cyclos")
        self.assertTrue(settings.mlml_cyclos_token_set)
        self.assertFalse(settings.mlml_cyclos_token_input)
        action = settings.action_mlml_test_connection()
        self.assertEqual(action["params"]["title"], "Cyclos connection")
        self.assertEqual(action["params"]["type"], "success")
        self.assertEqual(
            action["params"]["message"],
            "Connected to Cyclos: account M-001 (Nettoyage Lillois), balance "
            f"-200.00{NBSP}MLML, credit limit 1,000.00{NBSP}MLML, available 800.00{NBSP}MLML.",
        )
        # Every setting Cyclos needs is needed to be connected.
        self.company.mlml_cyclos_payment_type = False
        self.assertFalse(self.company._mlml_connected())
        self.assertIsNone(self.company._mlml_backend())
        ok, message = self.company._mlml_test_connection()
        self.assertFalse(ok)
        self.assertIn("the account type and the payment type first", message)

    def test_secrets_are_written_never_read_back(self):
        settings = self.env["res.config.settings"].create(
            {
                "mlml_cyclos_auth": "password",
                "mlml_cyclos_user": "nettoyage",
                "mlml_cyclos_password_input": "secret",
                "mlml_cyclos_token_input": " new-token ",
            }
        )
        settings.execute()
        secret = self.company._mlml_secret()
        self.assertEqual((secret.cyclos_token, secret.cyclos_password), ("new-token", "secret"))
        company = self.company.sudo()
        self.assertFalse(company.mlml_cyclos_token or company.mlml_cyclos_password)
        fresh = self.env["res.config.settings"].create({})
        self.assertFalse(fresh.mlml_cyclos_token_input or fresh.mlml_cyclos_password_input)
        self.assertTrue(fresh.mlml_cyclos_token_set and fresh.mlml_cyclos_password_set)
        user = self.create_user("cyc_user", "account.group_account_invoice")
        for name in ("mlml_cyclos_token", "mlml_cyclos_password", "mlml_cyclos_user"):
            with self.subTest(field=name), self.assertRaises(AccessError):
                self.company.with_user(user).read([name])
        # Basic authentication reaches the same account.
        ok, message = self.company._mlml_test_connection()
        self.assertTrue(ok, message)
        self.assertNotIn("secret", message)
        self.assertNotIn("secret", repr(self.company._mlml_backend()))

    def test_expired_token_is_said_with_what_to_do(self):
        self.control("POST", "tokens", {"tokens": []})
        ok, message = self.company._mlml_test_connection()
        self.assertFalse(ok)
        self.assertEqual(
            message,
            "Cyclos refused the company's credentials: the access client token expired or "
            "was revoked, or the user's password changed. Ask the network for a new access "
            "client token (or the new password) and enter it in the settings.",
        )
        payment = self.payment(50.0)
        with self.assert_refused(UserError, "Cyclos refused the company's credentials"):
            payment.action_post()
        self.assertEqual(payment.state, "draft")
        self.assertFalse(payment.move_id)
        self.assertFalse(self.company.mlml_synchronize())
        self.assertIn("Cyclos refused the company's credentials", self.company.mlml_sync_message)
        self.assertEqual(self.cyclos()["history"], [])

    # ------------------------------------------------------------------
    # Paying
    # ------------------------------------------------------------------

    def test_bill_mlml_part_is_paid_in_cyclos_with_its_key(self):
        bill = self.document("in_invoice", 1000.0, 40.0, ref="IMP-77")
        wizard = (
            self.env["account.payment.register"]
            .with_context(active_model="account.move", active_ids=bill.ids)
            .create({"journal_id": self.journal.id})
        )
        self.assertEqual(wizard.amount, 400.0)
        payment = wizard._create_payments()
        (paid,) = self.cyclos()["history"]
        key = payment._mlml_transfer_key()
        self.assertEqual(
            (paid["amount"], paid["other"], paid["description"]),
            ("-400.00", PRINTER_USER, f"IMP-77\n[mlml-key:{key}]"),
        )
        self.assertRecordValues(
            payment,
            [
                {
                    "state": "paid",
                    "mlml_send_state": "sent",
                    "mlml_transfer_ref": paid["id"],
                    "mlml_transfer_number": f"T{paid['id']}",
                }
            ],
        )
        self.assertEqual(bill.mlml_residual, 0.0)
        self.assertEqual(bill.amount_residual, 600.0)
        self.assertEqual(self.books_balance(), -400.0)
        # The payment comes back in the history: known, not booked twice.
        self.synchronize()
        self.assertFalse(self.StLine.search([("journal_id", "=", self.journal.id)]))
        self.assertEqual(self.company.mlml_ledger_balance, -400.0)
        self.assertEqual(self.company.mlml_sync_difference, 0.0)

    def test_same_payment_retried_pays_once(self):
        payment = self.payment(120.0)
        # A first attempt reached Cyclos; its answer was lost.
        backend = self.company._mlml_backend()
        made = backend.pay(payment._mlml_transfer_key(), "M-002", Decimal("120.00"), "FA-IMP-1")
        backend.close()
        payment.action_post()
        self.assertEqual(len(self.cyclos()["history"]), 1)
        self.assertRecordValues(
            payment, [{"state": "paid", "mlml_send_state": "sent", "mlml_transfer_ref": made.id}]
        )
        self.assertEqual(self.cyclos()["balance"], "-120.00")

    def test_refused_payment_posts_nothing_and_shows_the_figures(self):
        # Paid from Cyclos' own pages: the books do not know it yet.
        self.control("POST", "reset", {"balance": "-900.00"})
        payment = self.payment(150.0)
        with self.assert_refused(
            UserError,
            f"The clearing house refused the payment of 150.00{NBSP}MLML to Imprimerie du Nord "
            "(FA-IMP-1): Cyclos says the balance is not enough: balance -900.00"
            f"{NBSP}MLML, credit limit 1,000.00{NBSP}MLML, so 100.00{NBSP}MLML may still be "
            f"paid and 50.00{NBSP}MLML is missing. Pay a smaller amount, or in euros, or ask "
            "the network for a larger credit line. Nothing was paid.",
        ):
            payment.action_post()
        self.assertRecordValues(payment, [{"state": "draft", "mlml_send_state": False}])
        self.assertFalse(payment.move_id)
        self.assertEqual(self.books_balance(), 0.0)
        state = self.cyclos()
        self.assertEqual((state["history"], state["balance"]), ([], "-900.00"))

    # ------------------------------------------------------------------
    # Being paid
    # ------------------------------------------------------------------

    def test_payment_received_is_booked_once_and_reconciled(self):
        invoice = self.document("out_invoice", 1000.0, 30.0)
        self.assertEqual(invoice.mlml_residual, 300.0)
        paid = self.control(
            "POST",
            "transfer",
            {"other": PRINTER_USER, "amount": "300.00", "description": f"{invoice.name}\nmerci"},
        )
        self.synchronize()
        line = self.StLine.search([("journal_id", "=", self.journal.id)])
        self.assertRecordValues(
            line,
            [
                {
                    "amount": 300.0,
                    "partner_id": self.printer.id,
                    "mlml_transfer_ref": paid["id"],
                    "mlml_transfer_number": f"T{paid['id']}",
                    "payment_ref": f"T{paid['id']} {invoice.name}",
                    "is_reconciled": True,
                }
            ],
        )
        self.assertIn("merci", line.narration)
        self.assertRecordValues(
            invoice, [{"mlml_residual": 0.0, "amount_residual": 700.0, "payment_state": "partial"}]
        )
        self.assertEqual(self.books_balance(), 300.0)
        self.assertEqual(self.company.mlml_sync_difference, 0.0)
        self.assertIn("1 transfer(s) booked", self.company.mlml_sync_message)
        # Read again from where it stopped: nothing more.
        self.synchronize()
        self.assertEqual(self.StLine.search([("journal_id", "=", self.journal.id)]), line)
        self.assertIn("0 transfer(s) booked", self.company.mlml_sync_message)

    # ------------------------------------------------------------------
    # Payment requests
    # ------------------------------------------------------------------

    def test_posted_invoice_asks_for_its_mlml_part_then_is_paid(self):
        invoice = self.document("out_invoice", 1000.0, 50.0)
        request = self.Request.search([("move_id", "=", invoice.id)])
        (asked,) = self.cyclos()["requests"]
        self.assertEqual((asked["amount"], asked["other"]), ("500.00", PRINTER_USER))
        self.assertTrue(asked["description"].startswith(f"{invoice.name}\n[mlml-key:"))
        self.assertRecordValues(
            request,
            [
                {
                    "direction": "sent",
                    "state": "open",
                    "amount": 500.0,
                    "member_number": "M-002",
                    "remote_id": asked["id"],
                }
            ],
        )
        # The printer pays it in Cyclos: the request's state and the payment arrive.
        self.control("POST", "accept", {"id": asked["id"]})
        self.synchronize()
        self.assertEqual(request.state, "accepted")
        line = self.StLine.search([("journal_id", "=", self.journal.id)])
        self.assertRecordValues(line, [{"amount": 500.0, "is_reconciled": True}])
        self.assertEqual(invoice.mlml_residual, 0.0)
        self.assertEqual(self.books_balance(), 500.0)

    def test_received_request_is_paid_from_the_bill(self):
        bill = self.document("in_invoice", 400.0, 50.0, ref="FA-IMP-7")
        made = self.control(
            "POST",
            "request",
            {
                "payer": COMPANY_USER,
                "payee": PRINTER_USER,
                "amount": "200.00",
                "description": "FA-IMP-7",
            },
        )
        self.synchronize()
        request = self.Request.search([("direction", "=", "received")])
        self.assertRecordValues(
            request,
            [
                {
                    "state": "open",
                    "move_id": bill.id,
                    "amount": 200.0,
                    "remote_id": made["id"],
                    "message": False,
                }
            ],
        )
        bill.action_mlml_pay_request()
        state = self.cyclos()
        (paid,) = state["history"]
        self.assertEqual((paid["amount"], paid["other"]), ("-200.00", PRINTER_USER))
        self.assertEqual(state["requests"][0]["status"], "processed")
        self.assertEqual(request.state, "accepted")
        self.assertRecordValues(
            request.payment_id, [{"state": "paid", "mlml_transfer_ref": paid["id"]}]
        )
        self.assertEqual(bill.mlml_residual, 0.0)
        # The synchronisation recognises the payment: nothing is booked twice.
        self.synchronize()
        self.assertFalse(self.StLine.search([("journal_id", "=", self.journal.id)]))
        self.assertEqual(self.books_balance(), -200.0)

    def test_received_request_refused_with_a_reason(self):
        bill = self.document("in_invoice", 100.0, 50.0, ref="FA-IMP-8")
        self.control(
            "POST",
            "request",
            {
                "payer": COMPANY_USER,
                "payee": PRINTER_USER,
                "amount": "50.00",
                "description": "FA-IMP-8",
            },
        )
        self.synchronize()
        action = bill.action_mlml_refuse_request()
        wizard = (
            self.env[action["res_model"]]
            .with_context(**action["context"])
            .create({"reason": "Prestation non livrée"})
        )
        wizard.action_confirm()
        request = self.Request.search([("direction", "=", "received")])
        self.assertRecordValues(
            request, [{"state": "refused", "refusal_reason": "Prestation non livrée"}]
        )
        (refused,) = self.cyclos()["requests"]
        self.assertEqual(
            (refused["status"], refused["comments"]), ("denied", "Prestation non livrée")
        )
        self.assertEqual(self.cyclos()["history"], [])

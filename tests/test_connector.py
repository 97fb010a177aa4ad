import socket
from decimal import Decimal
from unittest.mock import patch

import psycopg2

from odoo import fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import HttpCase, tagged
from odoo.tools import mute_logger

from odoo.addons.mlml_barter.mlml_barter.backend import Member, Transfer, TransferPage
from odoo.addons.mlml_barter.mlml_barter.clearing_client import ClearingHouseBackend
from odoo.addons.mlml_barter.models.mlml_bounds_grant import LEDGER_DECIDED

from .test_clearing_ledger import ClearingHouseCommon

NBSP = "\N{NO-BREAK SPACE}"


class ConnectedMemberCommon(ClearingHouseCommon, HttpCase):
    """Delta Services, a company of this database, a member of the clearing house of
    the same database with its credit line there and in its own books, connected to
    it over real HTTP with its key (``key``)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.member = cls.setup_other_company(name="Delta Services")["company"]
        cls.delta = cls.member.partner_id
        cls.activate_member(cls.delta, "CH-D")
        # Its credit line at the clearing house, and the same in its own books.
        cls.create_line(cls.delta, "approved", limit=1000.0, ceiling=2000.0)
        cls.create_line(
            cls.delta, "approved", limit=1000.0, ceiling=2000.0, company_id=cls.member.id
        )
        cls.key = cls.delta.mlml_generate_api_key()
        cls.member.write(
            {"mlml_clearing_house_url": cls.base_url(), "mlml_clearing_house_key": cls.key}
        )

    def invoice(self, move_type, partner, amount, share, ref=None):
        """A posted invoice or bill of Delta's with ``partner``, its MLML share ``share`` %."""
        return self.post_document(move_type, partner, amount, share, ref, company=self.member)

    def synchronize(self):
        self.assertTrue(self.member.mlml_synchronize(), self.member.mlml_sync_message)


@tagged("post_install", "-at_install")
class TestConnector(ConnectedMemberCommon):
    """A member company connected to the clearing house of the same database,
    over real HTTP: it pays there first and books what the clearing house moved."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.journal = cls.member.mlml_journal_id
        cls.StLine = cls.env["account.bank.statement.line"]

    # ------------------------------------------------------------------

    def payment(self, amount, partner=None, memo="FA-ALPHA-1"):
        return (
            self.env["account.payment"]
            .with_company(self.member)
            .create(
                {
                    "company_id": self.member.id,
                    "payment_type": "outbound",
                    "partner_type": "supplier",
                    "partner_id": (partner or self.alpha).id,
                    "amount": amount,
                    "journal_id": self.journal.id,
                    "memo": memo,
                }
            )
        )

    def statement_lines(self):
        return self.StLine.search([("company_id", "=", self.member.id)], order="id")

    def last_transfer(self):
        return self.Transfer.search([("company_id", "=", self.company.id)], limit=1)

    @staticmethod
    def closed_url():
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        return f"http://127.0.0.1:{port}"

    def books_balance(self):
        self.member.invalidate_recordset()
        return self.member.mlml_balance

    # ------------------------------------------------------------------
    # Paying
    # ------------------------------------------------------------------

    def test_payment_is_made_at_the_clearing_house_first(self):
        count = self.ledger_count()
        payment = self.payment(250.0)
        payment.action_post()
        self.assertEqual(self.ledger_count(), count + 1)
        transfer = self.last_transfer()
        self.assertRecordValues(
            transfer,
            [
                {
                    "payer_id": self.delta.id,
                    "payee_id": self.alpha.id,
                    "amount": 250.0,
                    "reference": "FA-ALPHA-1",
                    "channel": "api",
                    "idempotency_key": payment._mlml_transfer_key(),
                }
            ],
        )
        self.assertTrue(payment._mlml_transfer_key().endswith(f":payment:{payment.id}"))
        self.assertRecordValues(
            payment,
            [
                {
                    "state": "paid",
                    "mlml_send_state": "sent",
                    "mlml_transfer_number": transfer.name,
                    "mlml_transfer_ref": str(transfer.id),
                }
            ],
        )
        self.assertEqual(self.balances(self.delta, self.alpha), (-250.0, 250.0))
        self.assertEqual(self.books_balance(), -250.0)
        # The transfer comes back at the synchronisation: known, not booked twice.
        self.assertTrue(self.member.mlml_synchronize(), self.member.mlml_sync_message)
        self.assertFalse(self.statement_lines())
        self.assertEqual(self.member.mlml_sync_difference, 0.0)
        self.assertEqual(self.member.mlml_ledger_balance, -250.0)
        self.assertIn("the balance agrees with the clearing house", self.member.mlml_sync_message)
        # Made there, it is not undone here.
        with self.assert_refused(UserError, f"is transfer {transfer.name} at the clearing house"):
            payment.action_cancel()

    def test_bill_paid_with_register_payment(self):
        bill = self.invoice("in_invoice", self.alpha, 1000.0, 40.0, ref="ALPHA-77")
        self.assertEqual(bill.mlml_residual, 400.0)
        wizard = (
            self.env["account.payment.register"]
            .with_company(self.member)
            .with_context(active_model="account.move", active_ids=bill.ids)
            .create({"journal_id": self.journal.id})
        )
        self.assertEqual(wizard.amount, 400.0)
        payment = wizard._create_payments()
        transfer = self.last_transfer()
        self.assertEqual((transfer.amount, transfer.reference), (400.0, "ALPHA-77"))
        self.assertEqual(payment.mlml_transfer_number, transfer.name)
        self.assertEqual(bill.mlml_residual, 0.0)
        self.assertEqual(bill.amount_residual, 600.0)

    def test_bill_paid_while_the_clearing_house_is_down(self):
        bill = self.invoice("in_invoice", self.alpha, 500.0, 50.0, ref="ALPHA-78")
        self.member.mlml_clearing_house_url = self.closed_url()
        wizard = (
            self.env["account.payment.register"]
            .with_company(self.member)
            .with_context(active_model="account.move", active_ids=bill.ids)
            .create({"journal_id": self.journal.id})
        )
        payment = wizard._create_payments()
        self.assertEqual(payment.mlml_send_state, "to_send")
        self.assertEqual(payment.move_id.state, "draft")
        self.assertEqual(bill.mlml_residual, 250.0)
        self.assertEqual(payment.invoice_ids, bill)
        self.member.mlml_clearing_house_url = self.base_url()
        self.env["account.payment"]._cron_mlml_send()
        self.assertRecordValues(payment, [{"state": "paid", "mlml_send_state": "sent"}])
        self.assertEqual(self.last_transfer().reference, "ALPHA-78")
        self.assertEqual(bill.mlml_residual, 0.0)
        self.assertEqual(bill.amount_residual, 250.0)
        self.assertEqual(self.balances(self.delta), (-250.0,))
        self.assertEqual(self.books_balance(), -250.0)

    def test_refused_payment_posts_nothing_and_shows_the_figures(self):
        # Paid elsewhere (the back office): the books do not know it yet.
        self.book(self.delta, self.gamma, 900)
        count = self.ledger_count()
        payment = self.payment(150.0)
        with self.assert_refused(
            UserError, f"The clearing house refused the payment of 150.00{NBSP}MLML to Alpha"
        ) as caught:
            payment.action_post()
        message = str(caught.exception)
        self.assertIn("Delta Services cannot pay 150.00", message)
        self.assertIn("its balance is -900.00", message)
        self.assertIn("so 50.00", message)
        self.assertIn("Nothing was paid.", message)
        self.assertEqual(self.ledger_count(), count)
        self.assertRecordValues(
            payment,
            [{"state": "draft", "mlml_send_state": False, "mlml_transfer_number": False}],
        )
        self.assertFalse(payment.move_id)
        self.assertEqual(self.books_balance(), 0.0)

    def test_batch_keeps_what_the_clearing_house_made(self):
        self.book(self.delta, self.gamma, 900)
        payments = self.payment(80.0, memo="A-1") | self.payment(150.0, memo="A-2")
        action = payments.action_post()
        self.assertEqual(action["params"]["type"], "danger")
        self.assertIn("refused the payment of 150.00", action["params"]["message"])
        self.assertRecordValues(
            payments,
            [
                {"state": "paid", "mlml_send_state": "sent"},
                {"state": "draft", "mlml_send_state": "refused"},
            ],
        )
        self.assertEqual(self.last_transfer().reference, "A-1")
        self.assertEqual(self.balances(self.delta), (-980.0,))
        self.assertIn("Nothing was paid.", payments[1].message_ids[0].body)

    def test_local_credit_line_is_checked_before_asking(self):
        count = self.ledger_count()
        payment = self.payment(1200.0)
        with self.assert_refused(UserError, f"credit line 1,000.00{NBSP}MLML"):
            payment.action_post()
        self.assertEqual(self.ledger_count(), count)
        self.assertEqual(payment.state, "draft")

    def test_unanswered_payment_waits_then_is_sent_again(self):
        count = self.ledger_count()
        self.member.mlml_clearing_house_url = self.closed_url()
        payment = self.payment(100.0)
        action = payment.action_post()
        self.assertEqual(action["params"]["title"], "Waiting to be sent")
        self.assertRecordValues(payment, [{"state": "draft", "mlml_send_state": "to_send"}])
        self.assertFalse(payment.move_id)
        self.assertIn("did not answer", payment.mlml_send_message)
        self.assertIn("will be sent again automatically", payment.message_ids[0].body)
        self.assertEqual(self.ledger_count(), count)
        self.assertEqual(self.books_balance(), 0.0)
        waiting = self.env["account.payment"].search([("mlml_send_state", "=", "to_send")])
        self.assertEqual(waiting, payment)
        # What the clearing house may have received is not changed meanwhile.
        with self.assert_refused(UserError, "waits to be sent to the clearing house"):
            payment.amount = 90.0
        with self.assert_refused(UserError, "waits to be sent to the clearing house"):
            payment.unlink()
        # Still down: the scheduled action leaves it waiting.
        self.env["account.payment"]._cron_mlml_send()
        self.assertEqual(payment.mlml_send_state, "to_send")
        # The clearing house is back.
        self.member.mlml_clearing_house_url = self.base_url()
        self.env.ref("mlml_barter.ir_cron_mlml_send_payments").method_direct_trigger()
        payment.invalidate_recordset()
        transfer = self.last_transfer()
        self.assertEqual(self.ledger_count(), count + 1)
        self.assertRecordValues(
            payment,
            [{"state": "paid", "mlml_send_state": "sent", "mlml_transfer_number": transfer.name}],
        )
        self.assertEqual(self.books_balance(), -100.0)
        self.env["account.payment"]._cron_mlml_send()
        self.assertEqual(self.ledger_count(), count + 1)

    def test_same_key_twice_makes_one_transfer(self):
        payment = self.payment(120.0)
        # The first attempt reached the clearing house, its answer was lost.
        backend = self.member._mlml_backend()
        made = backend.pay(payment._mlml_transfer_key(), "CH-A", Decimal("120.00"), "FA-ALPHA-1")
        backend.close()
        count = self.ledger_count()
        payment.action_post()
        self.assertEqual(self.ledger_count(), count)
        self.assertEqual(payment.mlml_transfer_ref, made.id)
        self.assertEqual(payment.state, "paid")
        self.assertEqual(self.balances(self.delta), (-120.0,))

    def test_transfer_made_before_a_crash_is_recognised_by_its_key(self):
        bill = self.invoice("in_invoice", self.alpha, 500.0, 40.0, ref="ALPHA-9")
        payment = self.payment(200.0, memo="ALPHA-9")
        payment.invoice_ids = bill  # as Register Payment leaves a payment it posts later
        # Odoo stopped after the clearing house made the transfer, before saving its answer.
        backend = self.member._mlml_backend()
        made = backend.pay(payment._mlml_transfer_key(), "CH-A", Decimal("200.00"), "ALPHA-9")
        lost = backend.pay(
            f"{payment._mlml_key_prefix()}{payment.id + 1000}", "CH-B", Decimal("50.00"), "X-1"
        )
        backend.close()
        self.assertEqual(payment.state, "draft")
        self.assertTrue(self.member.mlml_synchronize(), self.member.mlml_sync_message)
        self.assertRecordValues(
            payment,
            [
                {
                    "state": "paid",
                    "mlml_send_state": "sent",
                    "mlml_transfer_ref": made.id,
                    "mlml_transfer_number": made.number,
                }
            ],
        )
        self.assertEqual(bill.mlml_residual, 0.0)
        # The payment that was never saved: its transfer is booked, once, with a note.
        line = self.statement_lines()
        self.assertRecordValues(
            line, [{"amount": -50.0, "mlml_transfer_ref": lost.id, "partner_id": self.beta.id}]
        )
        self.assertIn("Do not pay it again.", line.narration)
        self.assertEqual(self.books_balance(), -250.0)
        self.assertEqual(self.member.mlml_sync_difference, 0.0)
        self.assertTrue(self.member.mlml_synchronize())
        self.assertEqual(self.statement_lines(), line)

    def test_no_transfer_is_recorded_by_hand(self):
        payment = self.payment(60.0)
        for values in ({"mlml_transfer_ref": "1"}, {"mlml_send_state": "sent"}):
            with self.assert_refused(UserError, "written from the clearing house's answers only"):
                payment.write(values)
        with self.assert_refused(UserError, "written from the clearing house's answers only"):
            self.env["account.payment"].with_company(self.member).create(
                {
                    "payment_type": "outbound",
                    "partner_type": "supplier",
                    "partner_id": self.alpha.id,
                    "amount": 60.0,
                    "journal_id": self.journal.id,
                    "mlml_transfer_number": "VIR/0000001",
                }
            )
        self.assertFalse(payment.mlml_transfer_ref)

    def test_hand_made_inbound_payment_is_refused_when_connected(self):
        payment = (
            self.env["account.payment"]
            .with_company(self.member)
            .create(
                {
                    "company_id": self.member.id,
                    "payment_type": "inbound",
                    "partner_type": "customer",
                    "partner_id": self.alpha.id,
                    "amount": 10.0,
                    "journal_id": self.journal.id,
                }
            )
        )
        with self.assert_refused(UserError, "synchronise the barter journal instead"):
            payment.action_post()
        self.assertEqual(payment.state, "draft")

    # ------------------------------------------------------------------
    # Being paid: the synchronisation
    # ------------------------------------------------------------------

    def test_incoming_transfer_is_booked_once_and_reconciled(self):
        invoice = self.invoice("out_invoice", self.alpha, 1000.0, 30.0)
        self.assertEqual(invoice.mlml_residual, 300.0)
        transfer = self.book(self.alpha, self.delta, 300, reference=invoice.name, memo="merci")
        self.assertTrue(self.member.mlml_synchronize(), self.member.mlml_sync_message)
        line = self.statement_lines()
        self.assertRecordValues(
            line,
            [
                {
                    "journal_id": self.journal.id,
                    "amount": 300.0,
                    "partner_id": self.alpha.id,
                    "mlml_transfer_ref": str(transfer.id),
                    "mlml_transfer_number": transfer.name,
                    "payment_ref": f"{transfer.name} {invoice.name}",
                    "is_reconciled": True,
                }
            ],
        )
        self.assertRecordValues(
            invoice, [{"mlml_residual": 0.0, "amount_residual": 700.0, "payment_state": "partial"}]
        )
        self.assertEqual(self.books_balance(), 300.0)
        self.assertEqual(self.member.mlml_sync_difference, 0.0)
        self.assertIn("1 transfer(s) booked", self.member.mlml_sync_message)
        self.assertTrue(self.member.mlml_sync_cursor)
        # A second synchronisation, from the card's button, books nothing more.
        action = self.journal.with_company(self.member).action_mlml_synchronize()
        self.assertEqual(action["params"]["type"], "success")
        self.assertEqual(self.statement_lines(), line)
        self.assertIn("0 transfer(s) booked", self.member.mlml_sync_message)
        # No one books a transfer by hand, and the database refuses a second line of it.
        values = {
            "journal_id": self.journal.id,
            "amount": 1.0,
            "payment_ref": "x",
            "mlml_transfer_ref": str(transfer.id),
        }
        with self.assert_refused(UserError, "by the synchronisation only"):
            self.StLine.create(values)
        with (
            self.assertRaises(psycopg2.errors.UniqueViolation),
            self.cr.savepoint(),
            mute_logger("odoo.sql_db"),
        ):
            self.StLine.with_context(mlml_ledger_decided=LEDGER_DECIDED).create(values)

    def test_transfers_that_match_nothing_are_booked_with_a_note(self):
        invoice = self.invoice("out_invoice", self.alpha, 1000.0, 10.0)
        self.book(self.alpha, self.delta, 500, reference=invoice.name)  # above its MLML part
        self.book(self.beta, self.delta, 40, reference="INCONNU-1")
        self.book(self.delta, self.gamma, 25)  # paid from the back office
        self.assertTrue(self.member.mlml_synchronize(), self.member.mlml_sync_message)
        lines = self.statement_lines()
        self.assertEqual(lines.mapped("amount"), [500.0, 40.0, -25.0])
        self.assertEqual(lines.mapped("is_reconciled"), [False, False, False])
        self.assertIn("more than what is left to pay in MLML", lines[0].narration)
        self.assertIn("(100.00&nbsp;MLML)", lines[0].narration)
        self.assertIn("No open invoice or bill of Beta Imprimerie", lines[1].narration)
        self.assertIn("gives no invoice number", lines[2].narration)
        self.assertEqual(invoice.mlml_residual, 100.0)
        self.assertEqual(self.books_balance(), 515.0)
        self.assertEqual(self.member.mlml_sync_difference, 0.0)

    def test_other_currency_and_unknown_member_are_booked_with_a_note(self):
        invoice = self.invoice("out_invoice", self.alpha, 1000.0, 50.0)
        today = fields.Date.today()
        page = TransferPage(
            items=(
                Transfer(
                    "9001",
                    "VIR/9001",
                    "CH-A",
                    "CH-D",
                    Decimal("20.00"),
                    invoice.name,
                    "",
                    today,
                    "in",
                    currency="CHW",
                ),
                Transfer(
                    "9002",
                    "VIR/9002",
                    "CH-X",
                    "CH-D",
                    Decimal("5.00"),
                    "",
                    "",
                    today,
                    "in",
                    currency="MLM",
                ),
            ),
            cursor="9002",
            has_more=False,
        )
        with patch.object(ClearingHouseBackend, "transfers", return_value=page):
            self.member.mlml_synchronize()
        lines = self.statement_lines()
        self.assertEqual(lines.mapped("amount"), [20.0, 5.0])
        self.assertEqual(lines.mapped("is_reconciled"), [False, False])
        self.assertIn("in CHW, not in MLM", lines[0].narration)
        self.assertIn("No partner has the member number CH-X", lines[1].narration)
        self.assertEqual(invoice.mlml_residual, 500.0)
        self.assertEqual(self.member.mlml_sync_cursor, "9002")

    def test_mismatch_is_shown_with_the_difference(self):
        # A payment keyed by hand before the company was connected.
        self.member.mlml_clearing_house_url = False
        self.payment(30.0).action_post()
        self.member.mlml_clearing_house_url = self.base_url()
        self.assertFalse(self.member.mlml_synchronize())
        self.assertEqual(self.member.mlml_sync_difference, -30.0)
        self.assertTrue(self.member.mlml_sync_failed)
        message = self.member.mlml_sync_message
        self.assertIn(f"The balance in the books (-30.00{NBSP}MLML)", message)
        self.assertIn(f"by -30.00{NBSP}MLML", message)
        body = self.journal.message_ids[0].body
        self.assertIn(
            "differs from the clearing house's (0.00&nbsp;MLML) by -30.00&nbsp;MLML", body
        )
        card = self.journal._get_journal_dashboard_data_batched()[self.journal.id]
        self.assertEqual(card["mlml_sync_difference"], self.journal.currency_id.format(-30.0))
        self.assertTrue(card["mlml_connected"])
        # The same difference again is not logged twice.
        messages = len(self.journal.message_ids)
        self.assertFalse(self.member.mlml_synchronize())
        self.assertEqual(len(self.journal.message_ids), messages)

    def test_failing_synchronisation_keeps_the_cursor(self):
        self.book(self.alpha, self.delta, 20)
        self.member.mlml_clearing_house_url = self.closed_url()
        self.assertFalse(self.member.mlml_synchronize())
        self.assertFalse(self.member.mlml_sync_cursor)
        self.assertFalse(self.statement_lines())
        self.assertIn("did not answer", self.member.mlml_sync_message)
        self.member.mlml_clearing_house_url = self.base_url()
        self.env.ref("mlml_barter.ir_cron_mlml_synchronize").method_direct_trigger()
        self.assertEqual(self.statement_lines().mapped("amount"), [20.0])

    # ------------------------------------------------------------------
    # Settings
    # ------------------------------------------------------------------

    def test_connection_test_says_what_the_clearing_house_says(self):
        self.book(self.delta, self.alpha, 200)
        settings = self.env["res.config.settings"].with_company(self.member).create({})
        self.assertTrue(settings.mlml_clearing_house_key_set)
        self.assertFalse(settings.mlml_clearing_house_key_input)
        action = settings.action_mlml_test_connection()
        self.assertEqual(action["params"]["type"], "success")
        self.assertEqual(
            action["params"]["message"],
            "Connected to the clearing house: account CH-D (Delta Services), balance "
            f"-200.00{NBSP}MLML, credit line 1,000.00{NBSP}MLML, available 800.00{NBSP}MLML.",
        )
        cases = [
            (self.base_url(), "wrong-key", "The clearing house refused the API key"),
            (f"{self.base_url()}/nothing-here", self.key, "answered, but not as a clearing house"),
            (
                f"{self.base_url()}/web/login?redirect=/mlml/api/v1",
                self.key,
                "answered, but not as a clearing house",
            ),
            (self.closed_url(), self.key, "did not answer: check the address"),
        ]
        for url, key, text in cases:
            with self.subTest(url=url):
                self.member.write({"mlml_clearing_house_url": url, "mlml_clearing_house_key": key})
                ok, message = self.member._mlml_test_connection()
                self.assertFalse(ok)
                self.assertIn(text, message)
                self.assertNotIn(self.key, message)

    def test_key_is_written_never_read_back(self):
        settings = (
            self.env["res.config.settings"]
            .with_company(self.member)
            .create({"mlml_clearing_house_key_input": " new-key "})
        )
        settings.execute()
        self.assertEqual(self.member._mlml_secret().clearing_house_key, "new-key")
        self.assertFalse(self.member.sudo().mlml_clearing_house_key)
        fresh = self.env["res.config.settings"].with_company(self.member).create({})
        self.assertFalse(fresh.mlml_clearing_house_key_input)
        self.assertTrue(fresh.mlml_clearing_house_key_set)
        user = self.create_user("con_user", "account.group_account_invoice")
        with self.assertRaises(AccessError):
            self.member.with_user(user).read(["mlml_clearing_house_key"])
        # Without a URL the company books by hand.
        self.member.mlml_clearing_house_url = False
        self.assertIsNone(self.member._mlml_backend())
        self.payment(10.0).action_post()
        self.assertEqual(self.books_balance(), -10.0)

    # ------------------------------------------------------------------
    # Directory
    # ------------------------------------------------------------------

    def test_directory_is_refreshed_from_the_clearing_house(self):
        # Over HTTP: the members of this database are the clearing house's.
        result = self.member.mlml_refresh_directory()
        self.assertFalse(result["created"] | result["updated"] | result["gone"])
        # What another clearing house would list: a new member, other offers.
        self.alpha.mlml_offer_ids = self.activity_printing
        self.beta.action_mlml_suspend("Unpaid membership fee")
        directory = [
            Member("CH-A", "Alpha Nettoyage", "Lille", offers=("Nettoyage test", "Vitrerie")),
            Member("CH-B", "Beta Imprimerie", "Lille"),
            Member(
                "CH-Z", "Zeta Transports", "Tourcoing", offers=("Transport",), needs=("Vitrerie",)
            ),
        ]
        with patch.object(ClearingHouseBackend, "members", return_value=directory):
            action = (
                self.env["res.partner"].with_company(self.member).action_mlml_refresh_directory()
            )
        self.assertIn(
            "1 member(s) added, 2 updated, 0 unchanged, 1 no longer in the directory",
            action["params"]["message"],
        )
        zeta = self.env["res.partner"].search([("mlml_member_number", "=", "CH-Z")])
        self.assertRecordValues(
            zeta,
            [
                {
                    "name": "Zeta Transports",
                    "is_company": True,
                    "city": "Tourcoing",
                    "mlml_member_state": "active",
                }
            ],
        )
        self.assertEqual(zeta.mlml_offer_ids.mapped("name"), ["Transport"])
        self.assertEqual(zeta.mlml_need_ids.mapped("name"), ["Vitrerie"])
        self.assertEqual(
            sorted(self.alpha.mlml_offer_ids.mapped("name")), ["Nettoyage test", "Vitrerie"]
        )
        self.assertIn("Imprimerie test → Nettoyage test, Vitrerie", self.alpha.message_ids[0].body)
        self.assertEqual(self.beta.mlml_member_state, "active")
        self.assertIn("Suspended → Active", self.beta.message_ids[0].body)
        # Again: nothing changes.
        with patch.object(ClearingHouseBackend, "members", return_value=directory):
            result = self.member.mlml_refresh_directory()
        self.assertFalse(result["created"] | result["updated"] | result["gone"])
        # Only MLML managers refresh it.
        user = self.create_user("con_dir", "account.group_account_invoice")
        with self.assertRaises(AccessError):
            self.env["res.partner"].with_user(user).action_mlml_refresh_directory()

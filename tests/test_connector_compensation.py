import dataclasses
import datetime
from decimal import Decimal
from unittest.mock import patch

from odoo import Command, fields
from odoo.tests import TransactionCase, tagged
from odoo.tools.misc import formatLang

from odoo.addons.mlml_barter.mlml_barter.backend import (
    Account,
    Backend,
    CompensatedInvoice,
    Compensation,
    CompensationPage,
    Obligation,
    ObligationPage,
    PaymentRequestPage,
    Refused,
    TransferPage,
)

from .common import MlmlBarterCommon


class FakeLedger:
    """A clearing house that answers what the test scripted, and records the
    declarations it was sent."""

    def __init__(self, runs=(), offers_compensation=True):
        self.runs = list(runs)
        self.declared = []
        self.offers = offers_compensation

    def transfers(self, after=None, limit=None):
        return TransferPage((), after or "0", False)

    def payment_requests(self, after=None, limit=None):
        return PaymentRequestPage((), after or "0", False)

    def account(self):
        zero = Decimal("0.00")
        return Account("MA-1", "A", "active", "MLM", zero, zero, None, zero, None)

    def _check(self):
        if not self.offers:
            raise Refused("compensation_not_offered", "This network does not run it.")

    def compensations(self, after=None, limit=None):
        self._check()
        return CompensationPage(tuple(self.runs), str(len(self.runs)), False)

    def obligations(self, after=None, limit=None):
        self._check()
        return ObligationPage((), after or "0", False)

    def declare_obligation(
        self, key, invoice, creditor, debtor, amount, currency, due_date, mlml_open=None
    ):
        self._check()
        self.declared.append((invoice, creditor, debtor, amount, currency, due_date))
        return Obligation(
            str(len(self.declared)),
            invoice,
            creditor,
            debtor,
            amount,
            Decimal(0),
            amount,
            currency,
            due_date,
            "declared",
            "creditor" if creditor == "MA-1" else "debtor",
        )

    def declare_obligations(self, declarations):
        return Backend.declare_obligations(self, declarations)

    def close(self):
        pass


@tagged("post_install", "-at_install")
class TestConnectorCompensation(MlmlBarterCommon, TransactionCase):
    """The member side of the compensation against a scripted clearing house:
    what is submitted, the set-off entry of a run, booked once, all or nothing."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.env.company
        cls.company.partner_id.write(
            {
                "mlml_member_state": "candidate",
                "mlml_member_number": "MA-1",
                "mlml_charter_date": "2026-01-15",
            }
        )
        cls.company.partner_id.action_mlml_activate()
        cls.company.write(
            {"mlml_clearing_house_url": "http://127.0.0.1:9", "mlml_clearing_house_key": "k"}
        )
        cls.b = cls.create_member("Boulangerie B", number="MB-1")
        cls.c = cls.create_member("Cave C", number="MC-1")
        cls.stranger = cls.env["res.partner"].create({"name": "Pas membre", "is_company": True})

    def document(self, move_type, partner, amount, ref=False, post=True):
        move = self.env["account.move"].create(
            {
                "move_type": move_type,
                "partner_id": partner.id,
                "ref": ref,
                "invoice_date": fields.Date.today(),
                "invoice_line_ids": [
                    Command.create(
                        {"name": "Marchandises", "price_unit": amount, "tax_ids": [Command.set([])]}
                    )
                ],
            }
        )
        if post:
            move.action_post()
        return move

    def ledger(self, ledger):
        """The company's ledger is ``ledger``, wherever the connection builds it."""
        return patch.object(
            type(self.env["mlml.connection"]),
            "_backend",
            lambda connection, company, **options: ledger,
        )

    def make_run(self, number, lines, run_id="7"):
        invoices = tuple(
            CompensatedInvoice(
                None,
                invoice,
                creditor,
                debtor,
                "creditor" if creditor == "MA-1" else "debtor",
                Decimal(str(open_amount)),
                Decimal(str(cleared)),
            )
            for invoice, creditor, debtor, open_amount, cleared in lines
        )
        return Compensation(
            run_id,
            number,
            fields.Date.today(),
            f"{fields.Date.today().isoformat()}T08:00:00Z",
            False,
            self.company.currency_id.name,
            sum((item.amount_cleared for item in invoices), Decimal(0)),
            Decimal(0),
            invoices,
            (),
        )

    # ------------------------------------------------------------------

    def test_open_invoices_and_bills_with_members_are_submitted_once(self):
        invoice = self.document("out_invoice", self.c, 120.0)
        bill = self.document("in_invoice", self.b, 100.0, ref="B-0001")
        no_ref = self.document("in_invoice", self.b, 10.0)
        self.document("out_invoice", self.stranger, 50.0)
        self.document("out_invoice", self.b, 70.0, post=False)
        ledger = FakeLedger()
        with self.ledger(ledger):
            declared, refused = self.company._mlml_submit_compensation()
        due = fields.Date.today()
        currency = self.company.currency_id.name
        self.assertEqual(
            sorted(ledger.declared),
            sorted(
                [
                    (invoice.name, "MA-1", "MC-1", Decimal("120.0"), currency, due),
                    ("B-0001", "MB-1", "MA-1", Decimal("100.0"), currency, due),
                ]
            ),
        )
        self.assertEqual(declared, invoice | bill)
        self.assertEqual(
            refused[no_ref],
            f"Bill {no_ref.name} of Boulangerie B has no supplier's invoice number: enter it "
            "in its field Bill Reference, then submit it again.",
        )
        self.assertFalse(no_ref.mlml_declared_amount)
        self.assertEqual((invoice.mlml_declared_amount, invoice.mlml_declared_due), (120.0, due))
        self.assertEqual(invoice.mlml_obligation_state, "declared")
        # Nothing changed: nothing is declared again; partly paid: the amount left.
        with self.ledger(ledger):
            self.company._mlml_submit_compensation()
        self.assertEqual(len(ledger.declared), 2)
        bank = self.company_data["default_journal_bank"]
        self.env["account.payment.register"].with_context(
            active_model="account.move", active_ids=invoice.ids
        ).create({"journal_id": bank.id, "amount": 30.0}).action_create_payments()
        with self.ledger(ledger):
            self.company._mlml_submit_compensation()
        self.assertEqual(ledger.declared[-1][:4], (invoice.name, "MA-1", "MC-1", Decimal("90.0")))
        self.assertEqual(invoice.mlml_declared_amount, 90.0)
        self.assertIn(
            "Submitted again to the multilateral compensation", invoice.message_ids[0].body
        )

    def test_a_run_is_booked_as_one_set_off_entry_once(self):
        invoice = self.document("out_invoice", self.c, 120.0)
        bill = self.document("in_invoice", self.b, 100.0, ref="B-0001")
        run = self.make_run(
            "CMP/0001",
            [(invoice.name, "MA-1", "MC-1", 120.0, 80.0), ("B-0001", "MB-1", "MA-1", 100.0, 50.0)],
        )
        ledger = FakeLedger([run])
        with self.ledger(ledger):
            self.assertTrue(self.company.mlml_synchronize(), self.company.mlml_sync_message)
        entry = self.env["account.move"].search([("mlml_compensation_ref", "=", "7")])
        self.assertEqual(entry.mlml_compensation_number, "CMP/0001")
        self.assertEqual(entry.journal_id.code, "COMP")
        clearing = self.company.mlml_compensation_account_id
        self.assertEqual(clearing.account_type, "asset_current")
        self.assertEqual(
            sorted(
                (line.account_id == clearing, line.partner_id.name or "", line.debit, line.credit)
                for line in entry.line_ids
            ),
            [
                (False, "Boulangerie B", 50.0, 0.0),
                (False, "Cave C", 0.0, 80.0),
                (True, "", 30.0, 0.0),
            ],
        )
        self.assertEqual((invoice.amount_residual, invoice.payment_state), (40.0, "partial"))
        self.assertEqual((bill.amount_residual, bill.payment_state), (50.0, "partial"))
        self.assertRegex(
            str(invoice.message_ids[0].body),
            rf"Settled by multilateral compensation CMP/0001: \S*80\.00\S* set off "
            rf"\(entry <a href=\"[^\"]*\" data-oe-model=\"account.move\" "
            rf"data-oe-id=\"{entry.id}\">{entry.name}</a>\)\.",
        )
        self.assertEqual(self.company.mlml_compensation_cursor, "1")
        # The same run read again (a cursor lost, or the feed read twice): nothing more.
        self.company.mlml_compensation_cursor = False
        with self.ledger(ledger):
            self.assertTrue(self.company.mlml_synchronize(), self.company.mlml_sync_message)
        self.assertEqual(
            self.env["account.move"].search_count([("mlml_compensation_ref", "!=", False)]), 1
        )
        self.assertEqual(invoice.amount_residual, 40.0)

    def test_a_run_that_cannot_be_booked_writes_nothing_and_keeps_the_cursor(self):
        invoice = self.document("out_invoice", self.c, 120.0)
        run = self.make_run(
            "CMP/0002",
            [(invoice.name, "MA-1", "MC-1", 120.0, 80.0), ("B-0404", "MB-1", "MA-1", 80.0, 80.0)],
        )
        with self.ledger(FakeLedger([run])):
            self.assertFalse(self.company.mlml_synchronize())
        self.assertEqual(
            self.company.mlml_sync_message,
            "Compensation CMP/0002 could not be booked: No posted bill B-0404 of member MB-1 "
            "is in the books: it was set off for "
            + formatLang(self.env, 80.0, currency_obj=self.company.currency_id)
            + ". Post it (the same number), then synchronise again.",
        )
        self.assertFalse(self.env["account.move"].search([("mlml_compensation_ref", "!=", False)]))
        self.assertEqual((invoice.amount_residual, invoice.payment_state), (120.0, "not_paid"))
        self.assertFalse(self.company.mlml_compensation_cursor)
        # Once the bill is in the books, the next synchronisation books the run.
        self.document("in_invoice", self.b, 80.0, ref="B-0404")
        with self.ledger(FakeLedger([run])):
            self.assertTrue(self.company.mlml_synchronize(), self.company.mlml_sync_message)
        self.assertEqual(invoice.amount_residual, 40.0)

    def test_a_run_that_set_off_nothing_of_the_company_books_nothing(self):
        invoice = self.document("out_invoice", self.c, 120.0)
        run = self.make_run("CMP/0002", [(invoice.name, "MA-1", "MC-1", 120.0, 0.0)])
        with self.ledger(FakeLedger([run])):
            self.assertTrue(self.company.mlml_synchronize(), self.company.mlml_sync_message)
        self.assertFalse(self.env["account.move"].search([("mlml_compensation_ref", "=", "7")]))
        # No empty "Compensation" journal on the dashboard of a company never set off.
        self.assertFalse(self.company.mlml_compensation_journal_id)
        self.assertFalse(
            self.env["account.journal"].search(
                [("company_id", "=", self.company.id), ("code", "=like", "COMP%")]
            )
        )
        self.assertEqual(invoice.amount_residual, 120.0)

    def test_a_network_without_compensation_synchronises_as_before(self):
        self.company.mlml_compensation_auto = True
        self.document("out_invoice", self.c, 120.0)
        with self.ledger(FakeLedger(offers_compensation=False)):
            self.assertTrue(self.company.mlml_synchronize(), self.company.mlml_sync_message)
        self.assertFalse(self.company.mlml_compensation_account_id)

    def test_the_set_off_of_a_run_with_liquidity_balances_on_the_clearing_account(self):
        invoice = self.document("out_invoice", self.c, 40.0)
        run = self.make_run("CMP/0003", [(invoice.name, "MA-1", "MC-1", 40.0, 40.0)], run_id="9")
        with self.ledger(FakeLedger([run])):
            self.company.mlml_synchronize()
        entry = self.env["account.move"].search([("mlml_compensation_ref", "=", "9")])
        clearing = entry.line_ids.filtered(
            lambda line: line.account_id == self.company.mlml_compensation_account_id
        )
        self.assertEqual((clearing.debit, clearing.credit), (40.0, 0.0))
        self.assertEqual(invoice.payment_state, "paid")
        self.assertEqual(entry.date, datetime.date.today())

    def test_the_set_off_entry_and_the_documents_say_what_was_paid_in_mlml(self):
        invoice = self.document("out_invoice", self.c, 40.0)
        bill = self.document("in_invoice", self.b, 30.0, ref="B-0002")
        run = self.make_run(
            "CMP/0004",
            [(invoice.name, "MA-1", "MC-1", 40.0, 40.0), ("B-0002", "MB-1", "MA-1", 30.0, 30.0)],
            run_id="11",
        )
        received, paid = (
            dataclasses.replace(run.invoices[0], amount_mlml=Decimal("15.00")),
            dataclasses.replace(run.invoices[1], amount_mlml=Decimal("5.00")),
        )
        run = dataclasses.replace(run, with_liquidity=True, invoices=(received, paid))
        with self.ledger(FakeLedger([run])):
            self.assertTrue(self.company.mlml_synchronize(), self.company.mlml_sync_message)
        entry = self.env["account.move"].search([("mlml_compensation_ref", "=", "11")])
        for move, set_off, mlml in ((invoice, "25.00", "15.00"), (bill, "25.00", "5.00")):
            line = entry.line_ids.filtered(lambda aml, m=move: aml.partner_id == m.partner_id)
            self.assertRegex(
                line.name,
                rf"^Settled by multilateral compensation CMP/0004 — {move.name}: "
                rf"[^,]*\b{set_off}\b[^,]* set off, [^,]*\b{mlml}\b[^,]* in MLML$",
            )
        self.assertEqual((invoice.payment_state, bill.payment_state), ("paid", "paid"))
        self.assertEqual((invoice.mlml_compensation_mlml, bill.mlml_compensation_mlml), (15.0, 5.0))
        self.assertRegex(
            str(invoice.message_ids[0].body).replace("&nbsp;", " "),
            r"Settled by multilateral compensation CMP/0004: [^,]*\b40\.00\b[^,]*, of which "
            r"[^,]*\b25\.00\b.* set off and .*\b15\.00\b.* received in MLML on the MLML account",
        )
        self.assertRegex(
            str(bill.message_ids[0].body).replace("&nbsp;", " "),
            r"CMP/0004: [^,]*\b30\.00\b[^,]*, of which [^,]*\b25\.00\b.* set off and .*\b5\.00\b.* "
            r"paid in MLML from the MLML account",
        )

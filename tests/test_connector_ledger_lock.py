from decimal import Decimal

from lxml import etree

from odoo import Command, fields
from odoo.exceptions import UserError
from odoo.tests import new_test_user, tagged
from odoo.tools.misc import formatLang

from odoo.addons.mlml_barter.mlml_barter.backend import CompensatedInvoice, Compensation

from .common import JsonRpcCalls
from .test_connector import ConnectedMemberCommon

REVERSAL = "Ask the clearing house for a reversal"
REVERSE = "Ask the clearing house to reverse it"


@tagged("post_install", "-at_install")
class TestLedgerLock(JsonRpcCalls, ConnectedMemberCommon):
    """Delta Services, connected over real HTTP: what its clearing house booked
    (set-off entries, transfers) is not undone in its books, by any method or
    context its accountant sends; the synchronisation still books reversals and
    lists the documents that differ. Its MLML account screen lists the
    synchronised transfers and matches a waiting one by hand."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.journal = cls.member.mlml_journal_id
        cls.accountant = new_test_user(
            cls.env,
            login="delta_i21_accountant",
            groups="account.group_account_manager,mlml_barter.group_mlml_user",
            company_id=cls.member.id,
            company_ids=[Command.set(cls.member.ids)],
        )

    def call_kw(self, model, method, args, kwargs=None):
        """``model.method(*args, **kwargs)`` over JSON-RPC as the accountant, with
        every context key forged: the answer."""
        return self.rpc(
            self.accountant.login,
            model,
            method,
            args,
            kwargs,
            context={"allowed_company_ids": [self.member.id]},
        ).json()

    def assert_rpc_refused(self, answer, message):
        self.assertNotIn("result", answer)
        self.assertEqual(answer["error"]["data"]["name"], "odoo.exceptions.UserError")
        self.assertIn(message, answer["error"]["data"]["message"])

    def set_off(self, invoice, cleared):
        """Book compensation CMP-1 of the clearing house that cleared ``cleared`` of
        Delta's ``invoice`` to Alpha: the set-off entry."""
        today = fields.Date.today()
        run = Compensation(
            "71",
            "CMP-1",
            today,
            f"{today.isoformat()}T08:00:00Z",
            False,
            self.member.currency_id.name,
            Decimal(str(cleared)),
            Decimal(0),
            (
                CompensatedInvoice(
                    None,
                    invoice.name,
                    "CH-D",
                    "CH-A",
                    "creditor",
                    Decimal(str(invoice.amount_residual)),
                    Decimal(str(cleared)),
                ),
            ),
            (),
        )
        return self.env["mlml.set.off"]._book_compensation(self.member, run)

    def undo_everything(self, model, record, message):
        """Every way a client undoes a record over JSON-RPC is refused with ``message``
        (a statement line's state is its entry's, which Odoo already refuses to write
        through the line)."""
        for method, args in (
            ("button_draft", [record.ids]),
            ("button_cancel", [record.ids]),
            ("action_draft", [record.ids]),
            ("action_cancel", [record.ids]),
            ("unlink", [record.ids]),
            ("write", [record.ids, {"state": "draft"}]),
            ("write", [record.ids, {"state": "cancel"}]),
        ):
            if not hasattr(self.env[model], method) or (
                method == "write" and model == "account.bank.statement.line"
            ):
                continue
            with self.subTest(model=model, method=method, args=args):
                self.assert_rpc_refused(self.call_kw(model, method, args), message)

    # ------------------------------------------------------------------

    def test_set_off_entry_stays_and_the_check_lists_a_reopened_invoice(self):
        invoice = self.invoice("out_invoice", self.alpha, 100.0, 0.0)
        entry = self.set_off(invoice, 100.0)
        self.assertEqual(entry.state, "posted")
        self.assertEqual(invoice.payment_state, "paid")
        self.assertFalse(entry.show_reset_to_draft_button)
        # From the form's buttons, and over JSON-RPC with every context key forged.
        with self.assert_refused(UserError, REVERSAL):
            entry.with_user(self.accountant).button_draft()
        with self.assert_refused(UserError, REVERSAL):
            entry.with_user(self.accountant).button_cancel()
        self.undo_everything("account.move", entry, REVERSAL)
        self.assert_rpc_refused(
            self.call_kw(
                "account.move", "unlink", [entry.ids], {"context": {"force_delete": True}}
            ),
            REVERSAL,
        )
        # Nor reversed, by Odoo's reversal wizard (its button hidden on the form).
        self.assertTrue(entry.with_user(self.accountant).mlml_booked_at_ledger)
        wizard = self.call_kw(
            "account.move.reversal",
            "create",
            [{"move_ids": [(6, 0, entry.ids)], "journal_id": entry.journal_id.id}],
            {"context": {"active_model": "account.move", "active_ids": entry.ids}},
        )["result"]
        self.assert_rpc_refused(
            self.call_kw("account.move.reversal", "reverse_moves", [[wizard]]), REVERSAL
        )
        self.assertFalse(entry.reversal_move_ids)
        self.assertEqual(entry.state, "posted")
        self.assertEqual(invoice.payment_state, "paid")
        # Its form shows its journal items to the accountant (Community: no full
        # accounting features).
        self.assertFalse(self.accountant.has_group("account.group_account_readonly"))
        arch = (
            self.env["account.move"]
            .with_user(self.accountant)
            .get_views([(False, "form")])["views"]["form"]["arch"]
        )
        page = etree.fromstring(arch).xpath("//page[@name='mlml_entry_lines']")
        self.assertTrue(page)
        self.assertTrue(page[0].xpath(".//field[@name='line_ids']"))
        lines = entry.with_user(self.accountant).line_ids
        self.assertEqual(sorted(lines.mapped("credit")), [0.0, 100.0])
        self.assertEqual(lines.mlml_set_off_move_id, invoice)
        # Unmatched by hand: the books agree in balance, not in the invoice.
        self.assertTrue(self.member.mlml_synchronize(), self.member.mlml_sync_message)
        invoice.line_ids.remove_move_reconcile()
        self.assertEqual(invoice.payment_state, "not_paid")
        self.assertFalse(self.member.mlml_synchronize())
        self.assertEqual(self.member.mlml_sync_difference, 0.0)
        amount = formatLang(self.env, 100.0, currency_obj=self.member.currency_id)
        self.assertIn(
            "1 document(s) differ from what the clearing house booked",
            (self.member.mlml_sync_message),
        )
        self.assertEqual(
            self.member.mlml_sync_differences,
            [
                {
                    "id": invoice.id,
                    "name": invoice.display_name,
                    "reason": f"Open again ({amount}), while compensation CMP-1 set off "
                    f"{amount} of it: match it with the set-off entry {entry.name}.",
                }
            ],
        )
        card = self.journal._get_journal_dashboard_data_batched()[self.journal.id]
        self.assertEqual([d["id"] for d in card["mlml_differences"]], invoice.ids)
        account = self.env["mlml.account"].with_user(self.accountant).with_company(self.member)
        account = account.browse(account.action_open()["res_id"])
        self.assertIn(f'href="/odoo/account.move/{invoice.id}"', account.differences)
        # Matched again: the check agrees.
        (
            entry.line_ids.filtered("mlml_set_off_move_id")
            | invoice.line_ids.filtered(lambda line: line.display_type == "payment_term")
        ).reconcile()
        self.assertTrue(self.member.mlml_synchronize(), self.member.mlml_sync_message)
        self.assertFalse(self.member.mlml_sync_differences)

    def test_transfers_stay_and_the_reversal_comes_by_the_synchronisation(self):
        invoice = self.invoice("out_invoice", self.alpha, 1000.0, 30.0)
        transfer = self.book(self.alpha, self.delta, 300, reference=invoice.name)
        self.synchronize()
        line = self.env["account.bank.statement.line"].search(
            [("company_id", "=", self.member.id), ("mlml_transfer_ref", "=", str(transfer.id))]
        )
        self.assertTrue(line.is_reconciled)
        self.assertFalse(line.move_id.show_reset_to_draft_button)
        self.undo_everything("account.move", line.move_id, REVERSE)
        self.undo_everything("account.bank.statement.line", line, REVERSE)
        self.assert_rpc_refused(
            self.call_kw("account.bank.statement.line", "write", [line.ids, {"amount": 30.0}]),
            "its amount, date, partner and journal are not changed here",
        )
        self.assertRecordValues(line, [{"amount": 300.0, "state": "posted"}])
        # A payment the clearing house made: the same.
        payment = (
            self.env["account.payment"]
            .with_company(self.member)
            .create(
                {
                    "payment_type": "outbound",
                    "partner_type": "supplier",
                    "partner_id": self.beta.id,
                    "amount": 40.0,
                    "journal_id": self.journal.id,
                    "memo": "FB-1",
                }
            )
        )
        payment.action_post()
        self.assertTrue(payment.mlml_transfer_ref)
        self.undo_everything("account.payment", payment, REVERSE)
        self.undo_everything("account.move", payment.move_id, REVERSE)
        self.assertRecordValues(payment, [{"state": "paid"}])
        arch = (
            self.env["account.payment"]
            .with_user(self.accountant)
            .get_views([(False, "form")])["views"]["form"]["arch"]
        )
        draft = etree.fromstring(arch).xpath("//button[@name='action_draft']")[0]
        self.assertIn("mlml_transfer_ref", draft.get("invisible"))
        # The clearing house reverses the transfer: the synchronisation books it.
        reversal = transfer.reverse("Facture annulée")
        self.synchronize()
        back = self.env["account.bank.statement.line"].search(
            [("company_id", "=", self.member.id), ("mlml_transfer_ref", "=", str(reversal.id))]
        )
        self.assertRecordValues(back, [{"amount": -300.0, "state": "posted"}])
        self.assertIn(f"Reverses transfer {transfer.name}", back.narration)
        self.assertEqual(line.state, "posted")
        self.assertEqual(self.member.mlml_sync_difference, 0.0)

    def test_account_screen_lists_transfers_and_matches_one_by_hand(self):
        invoice = self.invoice("out_invoice", self.alpha, 1000.0, 30.0)
        bill = self.invoice("in_invoice", self.beta, 500.0, 40.0, ref="FB-7")
        small = self.invoice("in_invoice", self.beta, 100.0, 50.0, ref="FB-8")
        paid_in = self.book(self.alpha, self.delta, 300, reference=invoice.name)
        back_office = self.book(self.delta, self.beta, 200)
        self.synchronize()
        Account = self.env["mlml.account"].with_user(self.accountant).with_company(self.member)
        account = Account.browse(Account.action_open()["res_id"])
        self.assertRecordValues(
            account,
            [
                {
                    "balance": 100.0,
                    "credit_limit": 1000.0,
                    "available": 1100.0,
                    "connected": True,
                    "from_ledger": True,
                }
            ],
        )
        self.assertEqual(account.sync_date, self.member.mlml_sync_date)
        self.assertEqual(account.read_date, self.member.sudo().mlml_ledger_read_date)
        # Beta asked its bill's MLML part; the transfer matched by hand pays it.
        request = (
            self.env["mlml.member.request"]
            .sudo()
            .create(
                {
                    "company_id": self.member.id,
                    "direction": "received",
                    "remote_id": "i21-FB-7",
                    "partner_id": self.beta.id,
                    "amount": 200.0,
                    "reference": "FB-7",
                    "state": "open",
                    "move_id": bill.id,
                }
            )
        )
        matched, waiting = account.transfer_ids.sorted("id")
        self.assertRecordValues(
            matched | waiting,
            [
                {
                    "mlml_transfer_number": paid_in.name,
                    "partner_id": self.alpha.id,
                    "amount": 300.0,
                    "mlml_reference": invoice.name,
                    "mlml_paid_move_id": invoice.id,
                    "is_reconciled": True,
                },
                {
                    "mlml_transfer_number": back_office.name,
                    "partner_id": self.beta.id,
                    "amount": -200.0,
                    "mlml_reference": False,
                    "mlml_paid_move_id": False,
                    "is_reconciled": False,
                },
            ],
        )
        self.assertFalse(matched.mlml_match_note)
        self.assertTrue(waiting.mlml_match_note.startswith("To match: The transfer gives no"))
        # Match: what does not fit is refused, saying why.
        action = waiting.with_user(self.accountant).action_mlml_match()
        Match = (
            self.env[action["res_model"]]
            .with_user(self.accountant)
            .with_company(self.member)
            .with_context(**action["context"])
        )
        self.assertEqual(Match.new({}).candidate_ids._origin, bill | small)
        with self.assert_refused(UserError, "is a document of Alpha Nettoyage"):
            Match.create({"move_id": invoice.id}).action_match()
        with self.assert_refused(UserError, "more than what is left to pay in MLML of"):
            Match.create({"move_id": small.id}).action_match()
        Match.create({"move_id": bill.id}).action_match()
        self.assertTrue(waiting.is_reconciled)
        self.assertEqual(waiting.mlml_paid_move_id, bill)
        self.assertRecordValues(
            bill, [{"mlml_residual": 0.0, "amount_residual": 300.0, "payment_state": "partial"}]
        )
        payable = bill.line_ids.filtered(lambda line: line.display_type == "payment_term")
        counterpart = waiting.move_id.line_ids.filtered(
            lambda line: line.account_id == payable.account_id
        )
        self.assertRecordValues(counterpart, [{"debit": 200.0, "reconciled": True}])
        self.assertEqual(waiting.move_id.state, "posted")
        self.assertIn("Matched by hand with transfer", bill.message_ids[1].body)
        self.assertEqual(request.state, "paid_elsewhere")
        self.assertIn("the payment request of", bill.message_ids[0].body)
        with self.assert_refused(UserError, "is already matched"):
            Match.create({"move_id": small.id}).action_match()
        # The books still agree with the clearing house.
        self.synchronize()
        self.assertEqual(self.member.mlml_sync_difference, 0.0)

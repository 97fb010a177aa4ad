import random
import threading
import time
import uuid

from odoo import SUPERUSER_ID, api
from odoo.exceptions import UserError
from odoo.service.model import PG_CONCURRENCY_EXCEPTIONS_TO_RETRY
from odoo.tests import TransactionCase, tagged
from odoo.tools import mute_logger

from odoo.addons.base.models.ir_model import MODULE_UNINSTALL_FLAG

CLIENTS = 8
AMOUNT = 300.0
CREDIT_LIMIT = 1000.0  # 3 payments fit (900), the other 5 do not


@tagged("post_install", "-at_install")
class TestMlmlPaymentConcurrency(TransactionCase):
    """Eight people pay at the same moment: together they would overdraw.

    As in Odoo's own sequence concurrency test, the data is committed and each
    payment is posted in a cursor of its own, in threads started together.
    A transaction that loses the race on the company's balance row fails with
    a serialisation error and is run again, as Odoo does for every request.
    """

    def setUp(self):
        super().setUp()
        tag = uuid.uuid4().hex[:8]
        with self.env.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            company = env.company
            self.company_id = company.id
            self.partner_state = company.partner_id.mlml_member_state
            if company.partner_id.mlml_member_state != "active":
                company.partner_id.write(
                    {
                        "mlml_member_state": "candidate",
                        "mlml_member_number": company.partner_id.mlml_member_number or f"C-{tag}",
                        "mlml_charter_date": "2025-01-01",
                    }
                )
                company.partner_id.action_mlml_activate()
            own_line = env["mlml.credit.line"].create(
                {
                    "partner_id": company.partner_id.id,
                    "credit_limit": CREDIT_LIMIT,
                    "balance_ceiling": 0.0,
                    "date_start": "2025-01-01",
                }
            )
            own_line.action_submit()
            own_line.action_approve()
            member = env["res.partner"].create(
                {
                    "name": "Client concurrent",
                    "is_company": True,
                    "mlml_member_state": "candidate",
                    "mlml_member_number": f"M-{tag}",
                    "mlml_charter_date": "2025-01-01",
                }
            )
            member.action_mlml_activate()
            payments = env["account.payment"].create(
                [
                    {
                        "payment_type": "outbound",
                        "partner_type": "supplier",
                        "partner_id": member.id,
                        "amount": AMOUNT,
                        "journal_id": company.mlml_journal_id.id,
                        "memo": f"concurrent {n}",
                    }
                    for n in range(CLIENTS)
                ]
            )
            self.start_balance = company.mlml_balance
            # Data that the concurrent transactions must see is committed.
            cr.commit()  # pylint: disable=invalid-commit
        self.payment_ids = payments.ids
        self.line_ids = own_line.ids
        self.member_id = member.id
        self.addCleanup(self.clean_up)

    def clean_up(self):
        with self.env.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {MODULE_UNINSTALL_FLAG: True})
            payments = env["account.payment"].browse(self.payment_ids)
            payments.filtered(lambda p: p.state != "draft").action_draft()
            payments.unlink()
            env["mlml.credit.line"].browse(self.line_ids).unlink()
            env["res.partner"].browse(self.member_id).unlink()
            company = env["res.company"].browse(self.company_id)
            if self.partner_state != "active":
                cr.execute(
                    "UPDATE res_partner SET mlml_member_state = %s WHERE id = %s",
                    [self.partner_state, company.partner_id.id],
                )
            env["mlml.balance"]._rebuild(company)
            cr.commit()  # pylint: disable=invalid-commit

    def _post_in_own_cursor(self, env, payment_id, start, results):
        start.wait()
        for _attempt in range(30):
            try:
                env["account.payment"].browse(payment_id).action_post()
                env.cr.commit()  # pylint: disable=invalid-commit
                results[payment_id] = "posted"
                return
            except UserError as error:
                env.cr.rollback()
                results[payment_id] = str(error)
                return
            except PG_CONCURRENCY_EXCEPTIONS_TO_RETRY:
                env.cr.rollback()
                env.invalidate_all()
            time.sleep(random.uniform(0.0, 0.2))
        results[payment_id] = "gave up after 30 serialisation failures"

    def test_payments_that_fit_pass_the_others_are_refused(self):
        results = {}
        start = threading.Barrier(CLIENTS)
        # Cursors and environments are made here: the registry is locked while
        # tests run, so threads cannot open it themselves.
        envs = [
            api.Environment(self.env.registry.cursor(), SUPERUSER_ID, {})
            for _pid in self.payment_ids
        ]
        for env in envs:
            self.addCleanup(env.cr.close)
        threads = [
            threading.Thread(target=self._post_in_own_cursor, args=(env, pid, start, results))
            for env, pid in zip(envs, self.payment_ids, strict=True)
        ]
        with mute_logger("odoo.sql_db"):
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=120)

        room = self.start_balance + CREDIT_LIMIT
        fitting = int(room // AMOUNT)
        posted = [pid for pid, result in results.items() if result == "posted"]
        refused = [result for result in results.values() if result != "posted"]
        self.assertEqual(len(results), CLIENTS, "every client got an answer")
        self.assertEqual(len(posted), fitting)
        self.assertEqual(len(refused), CLIENTS - fitting)
        for message in refused:
            self.assertIn("MLML short", message)
            self.assertIn("credit line 1,000.00", message)

        with self.env.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            company = env["res.company"].browse(self.company_id)
            payments = env["account.payment"].browse(self.payment_ids)
            self.assertEqual(
                sorted(payments.filtered(lambda p: p.state == "paid").ids), sorted(posted)
            )
            balance = company.mlml_balance
            self.assertEqual(balance, self.start_balance - fitting * AMOUNT)
            self.assertGreaterEqual(balance, -CREDIT_LIMIT)
            ledger = env["mlml.balance"]._ledger_balances(company)[company]
            self.assertEqual(ledger, balance)

import random
import threading
import time
import uuid

from psycopg2 import errors

from odoo import SUPERUSER_ID, api
from odoo.service.model import PG_CONCURRENCY_EXCEPTIONS_TO_RETRY
from odoo.tests import TransactionCase, tagged
from odoo.tools import mute_logger

from odoo.addons.base.models.ir_model import MODULE_UNINSTALL_FLAG
from odoo.addons.mlml_barter.models.clearing_house.mlml_transfer import MlmlRefusal

ROUNDS = 8


@tagged("post_install", "-at_install")
class TestClearingConcurrency(TransactionCase):
    """Transfers made at the same instant, each in a transaction of its own.

    As in test_payment_concurrency, the data is committed and every transfer
    runs in its own cursor in threads started together; a transaction that
    loses a race fails with a serialisation error and is run again, as Odoo
    does for every request.
    """

    def setUp(self):
        super().setUp()
        tag = uuid.uuid4().hex[:8]
        with self.env.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            company = env.company
            self.company_id = company.id
            self.was_house = company.mlml_is_clearing_house
            company.mlml_is_clearing_house = True
            members = env["res.partner"].create(
                [
                    {
                        "name": f"Concurrent {n}",
                        "is_company": True,
                        "mlml_member_state": "candidate",
                        "mlml_member_number": f"CC{n}-{tag}",
                        "mlml_charter_date": "2025-01-01",
                    }
                    for n in range(6)
                ]
            )
            members.action_mlml_activate()
            lines = env["mlml.credit.line"].create(
                [
                    {
                        "partner_id": member.id,
                        "credit_limit": 1000.0,
                        "balance_ceiling": 0.0,
                        "date_start": "2025-01-01",
                    }
                    for member in members
                ]
            )
            lines.action_submit()
            lines.action_approve()
            cr.commit()  # pylint: disable=invalid-commit
        self.member_ids = members.ids
        self.line_ids = lines.ids
        self.addCleanup(self.clean_up)

    def clean_up(self):
        with self.env.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {MODULE_UNINSTALL_FLAG: True})
            members = env["res.partner"].browse(self.member_ids)
            transfers = env["mlml.transfer"].search(
                ["|", ("payer_id", "in", members.ids), ("payee_id", "in", members.ids)]
            )
            cr.execute("DELETE FROM mlml_transfer WHERE id = ANY(%s)", [transfers.ids])
            cr.execute("DELETE FROM mlml_ledger_account WHERE partner_id = ANY(%s)", [members.ids])
            env["mlml.credit.line"].browse(self.line_ids).unlink()
            members.unlink()
            env["res.company"].browse(self.company_id).mlml_is_clearing_house = self.was_house
            cr.commit()  # pylint: disable=invalid-commit

    def _run(self, env, jobs, start, results, deadlocks):
        """Book each (payer, payee, amount) of ``jobs`` in a transaction of its own."""
        start.wait()
        for payer_id, payee_id, amount in jobs:
            for _attempt in range(60):
                try:
                    Partner = env["res.partner"]
                    transfer = env["mlml.transfer"]._book(
                        Partner.browse(payer_id), Partner.browse(payee_id), amount
                    )
                    env.cr.commit()  # pylint: disable=invalid-commit
                    results.append(("booked", transfer.id))
                    break
                except MlmlRefusal as refusal:
                    env.cr.rollback()
                    results.append(("refused", str(refusal)))
                    break
                except PG_CONCURRENCY_EXCEPTIONS_TO_RETRY as error:
                    if isinstance(error, errors.DeadlockDetected):
                        deadlocks.append(error)
                    env.cr.rollback()
                    env.invalidate_all()
                    time.sleep(random.uniform(0.0, 0.05))
            else:
                results.append(("gave up", None))

    def _race(self, plans):
        results, deadlocks = [], []
        start = threading.Barrier(len(plans))
        envs = [api.Environment(self.env.registry.cursor(), SUPERUSER_ID, {}) for _plan in plans]
        for env in envs:
            self.addCleanup(env.cr.close)
        threads = [
            threading.Thread(target=self._run, args=(env, plan, start, results, deadlocks))
            for env, plan in zip(envs, plans, strict=True)
        ]
        with mute_logger("odoo.sql_db"):
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=120)
        self.assertFalse(any(thread.is_alive() for thread in threads), "a client hung")
        return results, deadlocks

    def _check_ledger(self):
        with self.env.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            company = env["res.company"].browse(self.company_id)
            Account = env["mlml.ledger.account"]
            self.assertEqual(Account._repair(company), {}, "stored balances = ledger sums")
            cr.execute(
                "SELECT SUM(balance) FROM mlml_ledger_account WHERE company_id = %s", [company.id]
            )
            self.assertEqual(cr.fetchone()[0], 0)
            cr.execute(
                "SELECT ledger_position FROM mlml_transfer WHERE company_id = %s "
                "ORDER BY ledger_position",
                [company.id],
            )
            positions = [row[0] for row in cr.fetchall()]
            self.assertEqual(positions, list(range(positions[0], positions[0] + len(positions))))
            cr.rollback()
            members = env["res.partner"].browse(self.member_ids).with_company(company)
            return {member.id: member.mlml_ledger_balance for member in members}

    def test_a_to_b_and_b_to_a_at_the_same_instant_never_deadlock(self):
        a, b = self.member_ids[:2]
        results, deadlocks = self._race([[(a, b, 10.0)] * ROUNDS, [(b, a, 7.0)] * ROUNDS])
        self.assertEqual(deadlocks, [])
        self.assertEqual([r for r, _id in results].count("booked"), 2 * ROUNDS, results)
        balances = self._check_ledger()
        self.assertEqual(balances[a], ROUNDS * (7.0 - 10.0))
        self.assertEqual(balances[b], ROUNDS * (10.0 - 7.0))

    def test_concurrent_payments_never_overdraw(self):
        payer, *payees = self.member_ids
        # 300 each: three fit in the credit line of 1,000, the other two do not.
        results, deadlocks = self._race([[(payer, payee, 300.0)] for payee in payees])
        self.assertEqual(deadlocks, [])
        outcomes = [r for r, _id in results]
        self.assertEqual(outcomes.count("booked"), 3, results)
        self.assertEqual(outcomes.count("refused"), 2, results)
        for outcome, message in results:
            if outcome == "refused":
                self.assertIn("cannot pay 300.00", message)
        balances = self._check_ledger()
        self.assertEqual(balances[payer], -900.0)

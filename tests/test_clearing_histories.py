import random
from decimal import Decimal

from odoo.tests import tagged

from odoo.addons.mlml_barter.models.clearing_house.mlml_transfer import MlmlRefusal

from .test_clearing_ledger import ClearingHouseCommon

SEEDS = (1, 7, 2026)
STEPS = 60


@tagged("post_install", "-at_install")
class TestClearingHistories(ClearingHouseCommon):
    """Random histories of transfers, refusals, reversals and commissions.

    Hypothesis is not installed in Odoo's Python, so the histories come from
    seeded generators (the same every run, a failure names its seed and step).
    After every step: the balances sum to zero, each equals what the ledger
    sums to and what an independent model of the accounts expects, and none
    is past its bounds (the company blocks).
    """

    def check(self, expected, where):
        self.env.invalidate_all()
        accounts = self.Account.search([("company_id", "=", self.company.id)])
        stored = {a.partner_id.id: Decimal(str(a.balance)) for a in accounts}
        self.assertEqual(sum(stored.values()), 0, where)
        ledger = {
            k: Decimal(str(v)) for k, v in self.Account._ledger_balances(self.company).items()
        }
        for partner_id, balance in stored.items():
            self.assertEqual(balance, ledger.get(partner_id, 0), where)
            self.assertEqual(balance, expected.get(partner_id, 0), where)
        for account in accounts.filtered(lambda a: a.partner_id != self.house):
            self.assertGreaterEqual(account.balance, -account.credit_limit, where)
            if account.balance_ceiling:
                self.assertLessEqual(account.balance, account.balance_ceiling, where)

    def test_random_histories_keep_the_network_at_zero(self):
        members = [self.alpha, self.beta, self.gamma]
        for seed in SEEDS:
            with self.subTest(seed=seed), self.env.cr.savepoint(flush=False) as savepoint:
                rng = random.Random(seed)
                expected = {}
                posted = []
                self.company.mlml_commission_percent = 0.0
                for step in range(STEPS):
                    where = f"seed {seed}, step {step}"
                    kind = rng.choice(["transfer"] * 6 + ["reverse", "commission"])
                    if kind == "commission":
                        self.company.mlml_commission_percent = rng.choice([0.0, 1.0, 2.5])
                        continue
                    if kind == "reverse" and posted:
                        transfer = rng.choice(posted)
                        try:
                            reversal = transfer.reverse(f"history {where}")
                        except MlmlRefusal:
                            continue
                        moves = [reversal]
                        if transfer.commission_id:
                            moves.append(transfer.commission_id.reversed_by_id)
                        posted.remove(transfer)
                    else:
                        payer, payee = rng.sample(members, 2)
                        amount = Decimal(rng.randint(1, 150000)) / 100
                        try:
                            transfer = self.book(payer, payee, amount)
                        except MlmlRefusal as refusal:
                            self.assertIn(
                                refusal.code, ("payer_below_credit_limit", "payee_cannot_receive")
                            )
                            self.check(expected, where)
                            continue
                        moves = [transfer] + (
                            [transfer.commission_id] if transfer.commission_id else []
                        )
                        posted.append(transfer)
                    for move in moves:
                        value = Decimal(str(move.amount))
                        expected[move.payer_id.id] = expected.get(move.payer_id.id, 0) - value
                        expected[move.payee_id.id] = expected.get(move.payee_id.id, 0) + value
                    self.check(expected, where)
                self.assertTrue(posted, f"seed {seed} booked nothing")
                savepoint.rollback()
                self.env.invalidate_all()

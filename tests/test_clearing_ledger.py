from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from odoo.addons.mlml_barter.models.clearing_house.mlml_transfer import MlmlRefusal

from .common import MlmlBarterCommon


class ClearingHouseCommon(MlmlBarterCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.env.company
        cls.company.mlml_is_clearing_house = True
        cls.house = cls.company.partner_id
        cls.alpha = cls.create_member("Alpha Nettoyage", number="CH-A")
        cls.beta = cls.create_member("Beta Imprimerie", number="CH-B")
        cls.gamma = cls.create_member("Gamma Conseil", number="CH-C")
        cls.create_line(cls.alpha, "approved", limit=1000.0, ceiling=2000.0)
        cls.create_line(cls.beta, "approved", limit=500.0, ceiling=1500.0)
        cls.create_line(cls.gamma, "approved", limit=5000.0, ceiling=0.0)
        cls.Transfer = cls.env["mlml.transfer"]
        cls.Account = cls.env["mlml.ledger.account"]

    def book(self, payer, payee, amount, **kwargs):
        return self.Transfer._book(payer, payee, amount, **kwargs)

    def balances(self, *partners):
        partners = partners or (self.alpha, self.beta, self.gamma, self.house)
        self.env.invalidate_all()
        return tuple(partner.mlml_ledger_balance for partner in partners)

    def network_sum(self):
        self.env.cr.execute(
            "SELECT COALESCE(SUM(balance), 0) FROM mlml_ledger_account WHERE company_id = %s",
            [self.company.id],
        )
        return self.env.cr.fetchone()[0]

    def ledger_count(self):
        return self.Transfer.search_count([("company_id", "=", self.company.id)])


@tagged("post_install", "-at_install")
class TestClearingLedger(ClearingHouseCommon):
    def test_transfer_moves_both_accounts_and_sums_to_zero(self):
        first = self.book(self.alpha, self.beta, "100.00", reference="FAC/2026/0001")
        second = self.book(self.beta, self.gamma, 40.5)
        self.assertEqual(self.balances(), (-100.0, 59.5, 40.5, 0.0))
        self.assertEqual(self.network_sum(), 0)
        self.assertEqual(first.payer_id, self.alpha)
        self.assertEqual(first.amount, 100.0)
        self.assertEqual(first.reference, "FAC/2026/0001")
        self.assertEqual(first.state, "posted")
        self.assertEqual(first.channel, "back_office")
        self.assertEqual(second.ledger_position, first.ledger_position + 1)
        self.assertTrue(first.name.startswith("VIR/"))
        self.assertEqual(int(second.name[4:]), int(first.name[4:]) + 1)
        self.assertEqual(self.Account._repair(self.company), {})

    def test_payer_below_its_credit_line_is_refused_and_nothing_written(self):
        self.book(self.alpha, self.beta, 800)
        count = self.ledger_count()
        with self.assert_refused(MlmlRefusal, "its credit line 1,000.00") as caught:
            self.book(self.alpha, self.gamma, 300)
        message = str(caught.exception)
        self.assertIn("Alpha Nettoyage cannot pay 300.00", message)
        self.assertIn("its balance is -800.00", message)
        self.assertIn("so 100.00", message)
        self.assertEqual(caught.exception.code, "payer_below_credit_limit")
        self.assertEqual(caught.exception.status, 422)
        self.assertEqual(float(caught.exception.figures["missing"]), 100.0)
        self.assertEqual(self.ledger_count(), count)
        self.assertEqual(self.balances(), (-800.0, 800.0, 0.0, 0.0))

    def test_payee_above_its_ceiling_is_refused(self):
        self.book(self.gamma, self.beta, 1400)
        with self.assert_refused(MlmlRefusal, "Beta Imprimerie cannot receive 200.00") as caught:
            self.book(self.gamma, self.beta, 200)
        self.assertIn("and its ceiling 1,500.00", str(caught.exception))
        self.assertIn("so 100.00", str(caught.exception))
        # The clearing house reads the payee's figures; the refusal carries none of them.
        self.assertEqual(caught.exception.code, "payee_cannot_receive")
        self.assertEqual(caught.exception.figures, {"member": "CH-B"})
        self.assertEqual(self.balances(self.gamma, self.beta), (-1400.0, 1400.0))

    def test_paying_back_below_a_lowered_line_is_welcome(self):
        # Gamma has no ceiling: it receives any amount.
        self.book(self.alpha, self.gamma, 900)
        self.book(self.beta, self.gamma, 500)
        self.assertEqual(self.balances(self.gamma), (1400.0,))

    def test_warn_mode_books_past_the_bound_and_says_so(self):
        self.company.mlml_limit_mode = "warn"
        transfer = self.book(self.alpha, self.gamma, 1200)
        self.assertEqual(self.balances(self.alpha), (-1200.0,))
        self.assertFalse(transfer.forced)
        bodies = transfer.message_ids.mapped("body")
        self.assertTrue(any("past its bounds" in body for body in bodies), bodies)
        self.assertTrue(any("credit line 1,000.00" in body for body in bodies), bodies)

    def test_manager_overrides_a_block_with_a_reason(self):
        manager = self.create_user("ch_manager", "base.group_user,mlml_barter.group_mlml_manager")
        user = self.create_user("ch_user", "base.group_user,mlml_barter.group_mlml_user")
        with self.assert_refused(
            AccessError, "Only the clearing house's MLML managers book a transfer past"
        ):
            self.Transfer.with_user(user)._book(
                self.alpha, self.gamma, 1200, forced=True, force_reason="phone"
            )
        transfer = self.Transfer.with_user(manager)._book(
            self.alpha, self.gamma, 1200, forced=True, force_reason="accord du conseil"
        )
        self.assertTrue(transfer.forced)
        self.assertEqual(self.balances(self.alpha), (-1200.0,))
        self.assertTrue(any("accord du conseil" in b for b in transfer.message_ids.mapped("body")))
        # A forced transfer that fits is not marked forced.
        fits = self.Transfer.with_user(manager)._book(
            self.beta, self.gamma, 10, forced=True, force_reason="x"
        )
        self.assertFalse(fits.forced)

    def test_reversal_is_a_new_transfer_the_other_way(self):
        transfer = self.book(self.alpha, self.beta, 250)
        reversal = transfer.reverse("Facture annulée")
        self.assertEqual(reversal.payer_id, self.beta)
        self.assertEqual(reversal.payee_id, self.alpha)
        self.assertEqual(reversal.amount, 250.0)
        self.assertEqual(reversal.channel, "reversal")
        self.assertEqual(reversal.reversal_of_id, transfer)
        self.assertEqual(reversal.reversal_reason, "Facture annulée")
        self.assertEqual(transfer.state, "reversed")
        self.assertEqual(transfer.reversed_by_id, reversal)
        self.assertEqual(self.balances(self.alpha, self.beta), (0.0, 0.0))
        self.assertEqual(self.network_sum(), 0)
        count = self.ledger_count()
        with self.assert_refused(MlmlRefusal, "was already reversed by"):
            transfer.reverse("encore")
        with self.assert_refused(MlmlRefusal, "is itself a reversal of"):
            reversal.reverse("encore")
        with self.assert_refused(UserError, "Say why transfer"):
            self.book(self.alpha, self.beta, 5).reverse(" ")
        self.assertEqual(self.ledger_count(), count)

    def test_reversal_checks_the_bounds_too(self):
        transfer = self.book(self.gamma, self.beta, 300)
        self.book(self.beta, self.alpha, 800)  # Beta at -500, its whole credit line
        with self.assert_refused(MlmlRefusal, "Beta Imprimerie cannot pay 300.00"):
            transfer.reverse("erreur de saisie")
        self.assertEqual(transfer.state, "posted")
        reversal = transfer.reverse("erreur de saisie", forced=True)
        self.assertTrue(reversal.forced)
        self.assertEqual(self.balances(self.beta), (-800.0,))

    def test_only_managers_reverse(self):
        transfer = self.book(self.alpha, self.beta, 10)
        user = self.create_user("ch_user2", "base.group_user,mlml_barter.group_mlml_user")
        with self.assert_refused(
            AccessError, "Only the clearing house's MLML managers reverse a transfer"
        ):
            transfer.with_user(user).reverse("pas le droit")
        self.assertEqual(transfer.state, "posted")

    def test_commission_is_its_own_transfer_and_covered_by_the_payer(self):
        self.company.mlml_commission_percent = 2.0
        transfer = self.book(self.alpha, self.beta, 100)
        commission = transfer.commission_id
        self.assertEqual(commission.amount, 2.0)
        self.assertEqual(commission.payer_id, self.alpha)
        self.assertEqual(commission.payee_id, self.house)
        self.assertEqual(commission.channel, "commission")
        self.assertEqual(commission.commission_of_id, transfer)
        self.assertEqual(commission.ledger_position, transfer.ledger_position + 1)
        self.assertEqual(self.balances(), (-102.0, 100.0, 0.0, 2.0))
        self.assertEqual(self.network_sum(), 0)
        # 880 + 17.60 fits in the 898 left of the line; 881 + 17.62 does not.
        with self.assert_refused(MlmlRefusal, "(plus a commission of 17.62"):
            self.book(self.alpha, self.gamma, 881)
        self.book(self.alpha, self.gamma, 880)
        self.assertEqual(self.balances(self.alpha), (-999.6,))
        # Reversing the transfer gives the commission back too.
        transfer.reverse("annulation")
        self.assertEqual(commission.state, "reversed")
        self.assertEqual(self.balances(self.house), (17.6,))
        self.assertEqual(self.network_sum(), 0)

    def test_suspended_members_never_pay_and_are_repaid_up_to_zero_if_allowed(self):
        self.book(self.alpha, self.beta, 300)
        self.alpha.action_mlml_suspend("Unpaid membership fee")
        with self.assert_refused(MlmlRefusal, "Alpha Nettoyage cannot pay: its membership is"):
            self.book(self.alpha, self.beta, 10)
        with self.assert_refused(MlmlRefusal, "Alpha Nettoyage cannot be paid"):
            self.book(self.gamma, self.alpha, 100)
        self.company.mlml_repay_suspended = True
        self.book(self.gamma, self.alpha, 200)
        with self.assert_refused(MlmlRefusal, "only be paid back up to a zero balance"):
            self.book(self.gamma, self.alpha, 100.01)
        self.book(self.gamma, self.alpha, 100)
        self.assertEqual(self.balances(self.alpha), (0.0,))

    def test_bad_transfers_are_refused(self):
        count = self.ledger_count()
        with self.assert_refused(MlmlRefusal, "Alpha Nettoyage cannot pay itself"):
            self.book(self.alpha, self.alpha, 10)
        with self.assert_refused(MlmlRefusal, "must be more than zero, not 0.00"):
            self.book(self.alpha, self.beta, 0)
        with self.assert_refused(MlmlRefusal, "must be more than zero"):
            self.book(self.alpha, self.beta, -5)
        outsider = self.create_member("Candidat", state="candidate")
        with self.assert_refused(MlmlRefusal, "Candidat cannot be paid"):
            self.book(self.alpha, outsider, 5)
        self.assertEqual(self.ledger_count(), count)

    def test_a_posted_transfer_is_never_edited_nor_deleted(self):
        transfer = self.book(self.alpha, self.beta, 10)
        with self.assert_refused(UserError, "a posted transfer is never edited"):
            transfer.amount = 1000
        with self.assert_refused(UserError, "a posted transfer is never edited"):
            transfer.write({"state": "reversed"})
        with self.assert_refused(UserError, "a transfer is never deleted"):
            transfer.unlink()
        with self.assert_refused(UserError, "booked by the clearing house's ledger only"):
            self.Transfer.create(
                {
                    "company_id": self.company.id,
                    "payer_id": self.alpha.id,
                    "payee_id": self.beta.id,
                    "amount": 5,
                    "name": "X",
                }
            )
        self.assertEqual(transfer.amount, 10.0)

    def test_repair_says_what_differed(self):
        self.book(self.alpha, self.beta, 75)
        self.env.cr.execute(
            "UPDATE mlml_ledger_account SET balance = 3 WHERE partner_id = %s", [self.beta.id]
        )
        self.Account.invalidate_model()
        action = self.Account.search([("partner_id", "=", self.beta.id)]).action_repair()
        self.assertIn("1 balance(s) differed", action["params"]["message"])
        self.assertIn("Beta Imprimerie 3.00", action["params"]["message"])
        self.assertEqual(self.balances(self.beta), (75.0,))
        action = self.Account.search([("partner_id", "=", self.beta.id)]).action_repair()
        self.assertIn("nothing was changed", action["params"]["message"])

    def test_a_member_company_runs_no_clearing_house(self):
        self.company.mlml_is_clearing_house = False
        with self.assert_refused(UserError, "does not run the clearing house"):
            self.book(self.alpha, self.beta, 10)
        self.env.invalidate_all()
        self.assertEqual(self.alpha.mlml_ledger_balance, 0.0)

    def test_clearing_house_mode_is_for_managers_and_shows_the_menus(self):
        user = self.create_user("ch_admin", "base.group_system")
        self.assertFalse(user.has_group("mlml_barter.group_mlml_manager"))
        with self.assert_refused(AccessError, "Only MLML managers change the clearing-house"):
            self.company.with_user(user).mlml_commission_percent = 3
        self.assertEqual(self.company.mlml_commission_percent, 0.0)
        manager = self.create_user("ch_manager2", "base.group_user,mlml_barter.group_mlml_manager")
        self.company.mlml_is_clearing_house = False
        self.company.mlml_is_clearing_house = True
        group = self.env.ref("mlml_barter.group_mlml_clearing_house")
        self.assertIn(manager, group.users)
        later = self.create_user("ch_manager3", "base.group_user,mlml_barter.group_mlml_manager")
        self.assertIn(later, group.users)
        later.groups_id -= self.env.ref("mlml_barter.group_mlml_manager")
        self.assertNotIn(later, group.users)
        self.assertNotIn(user, group.users)

    def test_accounts_show_bounds_and_room(self):
        self.book(self.alpha, self.beta, 950)
        self.Account._action_open_accounts()
        account = self.Account.search(
            [("partner_id", "=", self.alpha.id), ("company_id", "=", self.company.id)]
        )
        self.assertEqual(account.balance, -950.0)
        self.assertEqual(account.credit_limit, 1000.0)
        self.assertEqual(account.available, 50.0)
        self.assertEqual(account.near_bound, "credit_limit")
        beta = self.Account.search([("partner_id", "=", self.beta.id)])
        self.assertEqual(beta.room, 550.0)
        self.assertIn(account.partner_id, self.Account.search([]).partner_id)
        report = self.env["mlml.network.report"].create({})
        self.assertEqual(report.balance_sum, 0.0)
        self.assertFalse(report.balance_alarm)
        self.assertIn("Alpha Nettoyage", report.near_bounds_html)
        self.assertIn("950.00", report.volume_html)

    def test_statement_of_an_account_as_csv(self):
        self.book(self.alpha, self.beta, 100, reference="FAC/7")
        self.book(self.gamma, self.alpha, 30.5)
        account = self.Account.search([("partner_id", "=", self.alpha.id)])
        action = account.action_export_statement_csv()
        attachment = self.env["ir.attachment"].browse(
            int(action["url"].split("/")[3].split("?")[0])
        )
        lines = attachment.raw.decode("utf-8-sig").splitlines()
        self.assertEqual(lines[0], "Date;Partner;Reference;Invoice;Amount;Balance")
        self.assertIn(";Beta Imprimerie;VIR/", lines[2])
        self.assertTrue(lines[2].endswith(";FAC/7;-100.00;-100.00"), lines[2])
        self.assertTrue(lines[3].endswith(";30.50;-69.50"), lines[3])
        self.assertTrue(lines[-1].endswith("-69.50"), lines[-1])

from odoo import Command
from odoo.tests import new_test_user, tagged

from .common import MlmlHttpCommon


@tagged("post_install", "-at_install")
class TestMlmlSettingsTours(MlmlHttpCommon):
    """The barter journal's card, and the MLML settings of an MLML manager, in the browser."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.manager = new_test_user(
            cls.env,
            login="mlml_settings_manager",
            groups="account.group_account_invoice,mlml_barter.group_mlml_manager",
            name="MLML Manager",
            company_id=cls.company.id,
            company_ids=[Command.set(cls.company.ids)],
        )

    def grant_line(self, limit, ceiling):
        self.create_line(
            self.company.partner_id,
            "approved",
            limit=limit,
            ceiling=ceiling,
            company_id=self.company.id,
        )

    def test_journal_card(self):
        self.grant_line(1000.0, 2000.0)
        supplier = self.env["res.partner"].create(
            {
                "name": "Imprimerie Lilloise",
                "is_company": True,
                "mlml_member_state": "candidate",
                "mlml_member_number": "MLML-0499",
                "mlml_charter_date": "2026-01-15",
            }
        )
        supplier.action_mlml_activate()
        self.env["account.payment"].create(
            {
                "payment_type": "outbound",
                "partner_type": "supplier",
                "partner_id": supplier.id,
                "amount": 800.0 + self.company.mlml_balance,
                "journal_id": self.journal.id,
            }
        ).action_post()
        self.assertEqual(self.company.mlml_balance, -800.0)
        self.start_tour(
            "/odoo/action-account.open_account_journal_dashboard_kanban",
            "mlml_barter_journal_card",
            login="admin",
        )

    def test_manager_sets_the_mlml_settings(self):
        self.grant_line(1000.0, 0.0)
        self.assertFalse(self.manager.has_group("base.group_system"))
        self.start_tour("/odoo", "mlml_barter_manager_settings", login=self.manager.login)
        self.company.invalidate_recordset()
        self.assertRecordValues(
            self.company,
            [{"mlml_default_share": 35.0, "mlml_invoice_cap": 500.0, "mlml_limit_mode": "warn"}],
        )

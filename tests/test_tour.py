from odoo.tests import HttpCase, tagged


@tagged("post_install", "-at_install")
class TestMemberTour(HttpCase):
    """An MLML manager activates a candidate and approves its credit line in the browser."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # cls.env is the superuser's: it may set a membership directly.
        cls.admin = cls.env.ref("base.user_admin")
        cls.member = cls.env["res.partner"].create(
            {
                "name": "Torréfaction des Flandres",
                "is_company": True,
                "city": "Lille",
                "mlml_member_state": "candidate",
                "mlml_member_number": "MLML-T001",
                "mlml_charter_date": "2025-01-15",
            }
        )
        cls.line = cls.env["mlml.credit.line"].create(
            {
                "partner_id": cls.member.id,
                "company_id": cls.env.company.id,
                "credit_limit": 1000.0,
                "balance_ceiling": 2000.0,
            }
        )
        cls.line.action_submit()

    def test_activate_member_and_approve_its_line(self):
        self.assertTrue(self.admin.has_group("mlml_barter.group_mlml_manager"))
        self.assertEqual(self.member.mlml_member_state, "candidate")
        self.assertEqual(self.line.state, "submitted")

        self.start_tour("/odoo", "mlml_barter_member_activation", login="admin")

        self.env.invalidate_all()
        self.assertEqual(self.member.mlml_member_state, "active")
        self.assertTrue(self.member.mlml_join_date)
        self.assertEqual(self.line.state, "approved")
        self.assertEqual(self.line.decided_by_id, self.admin)
        self.assertTrue(self.line.decided_on)
        self.assertEqual(self.member.mlml_credit_limit, 1000.0)
        self.assertEqual(self.member.mlml_balance_ceiling, 2000.0)

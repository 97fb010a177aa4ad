from odoo.tests import HttpCase, tagged

from .common import MlmlRecords


@tagged("post_install", "-at_install")
class TestMemberTour(MlmlRecords, HttpCase):
    """An MLML manager activates a candidate and approves its credit line in the browser."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # cls.env is the superuser's: it may set a membership directly.
        cls.admin = cls.env.ref("base.user_admin")
        cls.member = cls.create_member(
            "Torréfaction des Flandres",
            state="candidate",
            number="MLML-T001",
            mlml_charter_date="2025-01-15",
        )
        cls.line = cls.create_line(cls.member, "submitted", company_id=cls.env.company.id)

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

from datetime import timedelta

from odoo import fields
from odoo.exceptions import UserError, ValidationError
from odoo.tests import tagged

from .common import MlmlBarterCommon


@tagged("post_install", "-at_install")
class TestCreditLine(MlmlBarterCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.member = cls.create_member("Transports Flandres", number="MLML-0201")
        cls.today = fields.Date.today()

    def test_submit_approve_and_the_trail(self):
        line = self.create_line(self.member, "submitted", limit=1000.0, ceiling=2000.0)
        approval = self.env.ref("mlml_barter.mail_activity_type_mlml_approval")
        self.assertIn(approval, line.activity_ids.activity_type_id)
        self.assertIn(self.env.user, line.activity_ids.user_id)
        line.action_approve()
        self.assertRecordValues(
            line, [{"state": "approved", "decided_by_id": self.env.uid, "credit_limit": 1000.0}]
        )
        self.assertTrue(line.decided_on)
        self.assertFalse(line.activity_ids)
        self.assertEqual(self.member.mlml_credit_limit, 1000.0)
        self.assertEqual(self.member.mlml_balance_ceiling, 2000.0)

    def test_approving_replaces_the_line_in_force(self):
        first = self.create_line(self.member, "approved", limit=1000.0, ceiling=1000.0)
        second = self.create_line(self.member, "approved", limit=3000.0, ceiling=0.0)
        self.assertEqual(first.state, "closed")
        self.assertEqual(second.state, "approved")
        self.assertIn("replaced by the credit line", first.message_ids[0].body)
        self.assertEqual(self.member.mlml_credit_limit, 3000.0)
        self.assertEqual(self.member.mlml_balance_ceiling, 0.0)
        self.assertEqual(
            self.env["mlml.credit.line"].search_count(
                [("partner_id", "=", self.member.id), ("state", "=", "approved")]
            ),
            1,
        )

    def test_a_second_approved_line_written_directly_is_refused(self):
        self.create_line(self.member, "approved")
        other = self.create_line(self.member, "submitted")
        with self.assert_refused(ValidationError, "already has an approved credit line"):
            other._set_state("approved")
        self.assertEqual(other.state, "submitted")

    def test_partner_fields_follow_the_line_in_force(self):
        self.assertEqual(self.member.mlml_credit_limit, 0.0)
        future = self.create_line(
            self.member, "approved", limit=500.0, date_start=self.today + timedelta(days=10)
        )
        self.assertEqual(self.member.mlml_credit_limit, 0.0, "not in force before its start")
        future.action_close()
        self.create_line(
            self.member,
            "approved",
            limit=800.0,
            ceiling=900.0,
            date_start=self.today - timedelta(days=400),
            date_review=self.today - timedelta(days=30),
        )
        self.env.invalidate_all()
        self.assertEqual(self.member.mlml_credit_limit, 800.0, "still in force past its review")
        self.assertEqual(self.member.mlml_balance_ceiling, 900.0)
        Partner = self.env["res.partner"]
        self.assertIn(self.member, Partner.search([("mlml_credit_limit", ">=", 800)]))
        self.assertNotIn(self.member, Partner.search([("mlml_credit_limit", "=", 0)]))
        self.assertIn(self.partner_a, Partner.search([("mlml_credit_limit", "=", 0)]))
        self.assertNotIn(self.partner_a, Partner.search([("mlml_balance_ceiling", ">", 0)]))

    def test_company_fields_follow_its_own_line(self):
        company = self.env.company
        company.partner_id.write(
            {
                "mlml_member_state": "candidate",
                "mlml_member_number": "MLML-0001",
                "mlml_charter_date": "2025-12-01",
            }
        )
        company.partner_id.action_mlml_activate()
        line = self.create_line(company.partner_id, "approved", limit=5000.0, ceiling=10000.0)
        self.assertEqual(company.mlml_credit_line_id, line)
        self.assertEqual(company.mlml_credit_limit, 5000.0)
        self.assertEqual(company.mlml_balance_ceiling, 10000.0)
        settings = self.env["res.config.settings"].create({})
        self.assertEqual(settings.mlml_member_number, "MLML-0001")
        self.assertEqual(settings.mlml_member_state, "active")
        self.assertEqual(settings.mlml_credit_limit, 5000.0)
        self.assertEqual(settings.action_mlml_open_credit_line()["res_id"], line.id)

    def test_bad_figures_refused(self):
        with self.assert_refused(
            ValidationError,
            "The credit limit of Transports Flandres cannot be negative "
            "(-1.00\N{NO-BREAK SPACE}MLML)",
        ):
            self.create_line(self.member, limit=-1.0)
        with self.assert_refused(
            ValidationError, "The balance ceiling of Transports Flandres cannot be negative"
        ):
            self.create_line(self.member, ceiling=-0.01)
        with self.assert_refused(ValidationError, "is before its start date"):
            self.create_line(self.member, date_start="2026-06-01", date_review="2026-05-31")
        self.assertFalse(self.member.mlml_credit_line_ids)

    def test_only_active_members_get_a_line_approved(self):
        partners = [
            self.partner_a,
            self.create_member("Candidat", state="candidate"),
            self.create_member("Suspendu", state="suspended", number="MLML-0202"),
            self.create_member("Démissionnaire", state="resigned"),
        ]
        for partner in partners:
            line = self.create_line(partner, "submitted")
            with self.assert_refused(UserError, "is not an active member"):
                line.action_approve()
            self.assertEqual(line.state, "submitted")

    def test_refusing_needs_a_reason(self):
        line = self.create_line(self.member, "submitted")
        with self.assert_refused(UserError, "Write the reason of the refusal"):
            line.action_refuse()
        line.decision_note = "Résultats financiers insuffisants."
        line.action_refuse()
        self.assertEqual(line.state, "refused")
        line.action_draft()
        self.assertEqual(line.state, "draft")

    def test_decided_lines_are_kept(self):
        line = self.create_line(self.member, "approved")
        with self.assert_refused(UserError, "decided lines stay in the history"):
            line.unlink()
        with self.assert_refused(UserError, "Submit a new line instead"):
            line.credit_limit = 99999.0
        line.date_review = self.today + timedelta(days=365)  # a review may be postponed
        line.action_close()
        with self.assert_refused(UserError, "decided lines stay in the history"):
            line.unlink()
        with self.assert_refused(UserError, "cannot become Approved"):
            line.action_approve()
        draft = self.create_line(self.member)
        draft.unlink()
        self.assertEqual(line.exists().state, "closed")

    def test_review_activity_for_lines_past_their_review_date(self):
        due = self.create_line(
            self.member,
            "approved",
            date_start=self.today - timedelta(days=365),
            date_review=self.today - timedelta(days=1),
        )
        other = self.create_member("Conseil Wasquehal", number="MLML-0203")
        not_due = self.create_line(other, "approved", date_review=self.today + timedelta(days=30))
        review = self.env.ref("mlml_barter.mail_activity_type_mlml_review")
        self.env.ref("mlml_barter.ir_cron_mlml_credit_line_review").method_direct_trigger()
        self.assertEqual(due.activity_ids.activity_type_id, review)
        self.assertIn(self.env.user, due.activity_ids.user_id)
        self.assertFalse(not_due.activity_ids)
        count = len(due.activity_ids)
        self.env["mlml.credit.line"]._cron_schedule_reviews()
        self.assertEqual(len(due.activity_ids), count, "no duplicate reminder")
        self.assertEqual(due.state, "approved")
        self.assertEqual(self.member.mlml_credit_limit, 1000.0)

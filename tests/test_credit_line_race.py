from odoo import SUPERUSER_ID, api
from odoo.exceptions import ValidationError
from odoo.tests import TransactionCase, tagged
from odoo.tools import mute_logger

from odoo.addons.base.models.ir_model import MODULE_UNINSTALL_FLAG


@tagged("post_install", "-at_install")
class TestApprovalRace(TransactionCase):
    """Two managers approve two lines of the same member at the same moment.

    The data is committed, as in Odoo's own sequence concurrency test, so that
    two real transactions see each other only through the database.
    """

    def setUp(self):
        super().setUp()
        with self.env.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            partner = env["res.partner"].create(
                {
                    "name": "Course d'approbation",
                    "is_company": True,
                    "mlml_member_state": "candidate",
                    "mlml_member_number": "MLML-RACE",
                    "mlml_charter_date": "2026-01-01",
                }
            )
            partner.action_mlml_activate()
            lines = env["mlml.credit.line"].create(
                [
                    {"partner_id": partner.id, "credit_limit": 100.0},
                    {"partner_id": partner.id, "credit_limit": 200.0},
                ]
            )
            lines.action_submit()
            # Two real transactions race: the data must be committed.
            cr.commit()  # pylint: disable=invalid-commit
        self.partner_id = partner.id
        self.line_ids = lines.ids
        self.addCleanup(self.clean_up)

    def clean_up(self):
        with self.env.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {MODULE_UNINSTALL_FLAG: True})
            env["mlml.credit.line"].browse(self.line_ids).unlink()
            env["res.partner"].browse(self.partner_id).unlink()
            cr.commit()  # pylint: disable=invalid-commit

    def test_two_approvals_at_once_leave_one_approved_line(self):
        with self.env.registry.cursor() as cr1, self.env.registry.cursor() as cr2:
            env1 = api.Environment(cr1, SUPERUSER_ID, {})
            env2 = api.Environment(cr2, SUPERUSER_ID, {})
            first, _second = env1["mlml.credit.line"].browse(self.line_ids)
            # The first manager has the line on screen: its transaction has begun.
            self.assertEqual(first.state, "submitted")

            # Meanwhile the second manager approves the other line and commits.
            env2["mlml.credit.line"].browse(self.line_ids[1]).action_approve()
            cr2.commit()

            # PostgreSQL refuses the second approval (logged as a bad query).
            with self.assertRaises(ValidationError) as caught, mute_logger("odoo.sql_db"):
                first.action_approve()
            self.assertIn("approved a moment ago by someone else", str(caught.exception))
            cr1.rollback()

        with self.env.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            lines = env["mlml.credit.line"].browse(self.line_ids)
            self.assertEqual(lines.mapped("state"), ["submitted", "approved"])

import importlib.util
from contextlib import contextmanager

from odoo import fields
from odoo.tests import new_test_user

from odoo.addons.account.tests.common import AccountTestInvoicingCommon


def solver_missing():
    """Why the compensation solver cannot run in this Python, or None.

    OR-Tools is the clearing house's requirement, not a member's: an Odoo
    without it runs every other test."""
    if importlib.util.find_spec("ortools") is None:
        return "OR-Tools is not installed in Odoo's Python (pip install ortools): skipped"
    return None


class MlmlBarterCommon(AccountTestInvoicingCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.mlml = cls.env.ref("mlml_barter.currency_mlml")
        cls.activity_cleaning = cls.env["mlml.activity"].create({"name": "Nettoyage test"})
        cls.activity_printing = cls.env["mlml.activity"].create({"name": "Imprimerie test"})

    @contextmanager
    def assert_refused(self, exception, message):
        """The block is refused with ``exception`` saying ``message``, and undone.

        Odoo's ``assertRaises`` rolls the block back to a savepoint (unlike
        ``assertRaisesRegex``), so what follows can check nothing was written.
        """
        with self.assertRaises(exception) as caught:
            yield caught
        self.assertIn(message, str(caught.exception))

    @classmethod
    def create_member(cls, name, state="active", number=None, **values):
        """A member company, taken through the transitions to ``state``."""
        partner = cls.env["res.partner"].create(
            {
                "name": name,
                "is_company": True,
                "city": values.pop("city", "Lille"),
                "mlml_member_state": "candidate" if state != "none" else "none",
                "mlml_member_number": number,
                "mlml_charter_date": "2026-01-15" if number else False,
                **values,
            }
        )
        path = {"active": ["active"], "suspended": ["active", "suspended"]}
        path["resigned"] = ["resigned"]
        for step in path.get(state, []):
            partner.mlml_member_state = step
        return partner

    @classmethod
    def create_line(cls, partner, state="draft", limit=1000.0, ceiling=2000.0, **values):
        line = cls.env["mlml.credit.line"].create(
            {
                "partner_id": partner.id,
                "credit_limit": limit,
                "balance_ceiling": ceiling,
                "date_start": values.pop("date_start", fields.Date.today()),
                **values,
            }
        )
        if state in ("submitted", "approved"):
            line.action_submit()
        if state == "approved":
            line.action_approve()
        return line

    @classmethod
    def create_user(cls, login, groups):
        """An internal user with ``groups``, who may edit contacts as users usually do."""
        return new_test_user(
            cls.env,
            login=login,
            groups=f"{groups},base.group_partner_manager",
            company_id=cls.env.company.id,
            company_ids=[(6, 0, cls.env.company.ids)],
        )

from odoo.exceptions import AccessError
from odoo.tests import tagged

from .common import MlmlBarterCommon


@tagged("post_install", "-at_install")
class TestAccess(MlmlBarterCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.member = cls.create_member("Logiciels de Croix", number="MLML-0301")
        cls.line = cls.create_line(cls.member, "submitted")
        cls.billing = cls.create_user("mlml_billing2", "account.group_account_invoice")
        cls.manager = cls.create_user("mlml_manager2", "account.group_account_manager")
        cls.internal = cls.create_user("mlml_internal", "base.group_user")
        cls.internal.groups_id -= cls.env.ref("mlml_barter.group_mlml_user")

    def test_groups(self):
        self.assertTrue(self.billing.has_group("mlml_barter.group_mlml_user"))
        self.assertFalse(self.billing.has_group("mlml_barter.group_mlml_manager"))
        self.assertTrue(self.manager.has_group("mlml_barter.group_mlml_manager"))
        self.assertFalse(self.internal.has_group("mlml_barter.group_mlml_user"))

    def test_billing_user_reads_lines_but_does_not_decide(self):
        line = self.line.with_user(self.billing)
        self.assertEqual(line.state, "submitted")
        with self.assertRaises(AccessError):
            line.action_approve()
        with self.assertRaises(AccessError):
            self.env["mlml.credit.line"].with_user(self.billing).create(
                {"partner_id": self.member.id, "credit_limit": 10.0}
            )
        self.assertEqual(self.line.state, "submitted")

    def test_manager_decides(self):
        self.line.with_user(self.manager).action_approve()
        self.assertEqual(self.line.state, "approved")
        self.assertEqual(self.line.decided_by_id, self.manager)
        self.member.with_user(self.manager).action_mlml_suspend("Unpaid membership fee")
        self.assertEqual(self.member.mlml_member_state, "suspended")

    def test_internal_user_without_invoicing_sees_no_line(self):
        with self.assertRaises(AccessError):
            self.line.with_user(self.internal).read(["credit_limit"])

    def test_lines_of_another_company_are_not_visible(self):
        other_company = self.setup_other_company(name="MLML Roubaix")["company"]
        foreign = self.env["mlml.credit.line"].create(
            {"partner_id": self.member.id, "company_id": other_company.id, "credit_limit": 7.0}
        )
        Line = self.env["mlml.credit.line"].with_user(self.manager)
        self.assertEqual(Line.search([("partner_id", "=", self.member.id)]), self.line)
        with self.assertRaises(AccessError):
            foreign.with_user(self.manager).read(["credit_limit"])
        # The partner's figures only count the lines of the current company.
        foreign.action_submit()
        foreign.with_company(other_company).action_approve()
        self.assertEqual(self.member.mlml_credit_limit, 0.0)
        self.assertEqual(self.member.with_company(other_company).mlml_credit_limit, 7.0)

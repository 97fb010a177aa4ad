from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import MlmlHttpCommon


@tagged("post_install", "-at_install")
class TestBackOfficeTours(MlmlHttpCommon):
    """The clearing house's back office in the browser, as its MLML manager."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.mlml_is_clearing_house = True
        cls.env.ref("base.user_admin").groups_id |= cls.env.ref(
            "mlml_barter.group_mlml_manager"
        ) | cls.env.ref("mlml_barter.group_mlml_clearing_house")
        cls.alpha = cls.create_member("Alpha Nettoyage", number="CH-A")
        cls.beta = cls.create_member("Beta Imprimerie", number="CH-B")
        cls.create_line(cls.alpha, "approved", limit=1000.0, ceiling=2000.0)
        cls.create_line(cls.beta, "approved", limit=500.0, ceiling=8000.0)

    def test_new_transfer_refused_then_made_and_reversed(self):
        # The refusal the tour checks is logged by the server as a user's error.
        with mute_logger("odoo.http"):
            self.start_tour("/odoo/vendor-bills", "mlml_back_office_transfer", login="admin")
        transfer = self.env["mlml.transfer"].search(
            [("payer_id", "=", self.alpha.id), ("payee_id", "=", self.beta.id)]
        )
        self.assertEqual((transfer.amount, transfer.state), (100.0, "reversed"))
        self.assertEqual(transfer.reversed_by_id.reversal_reason, "Entered twice")
        self.assertFalse(self.env["res.partner"].search([("name", "ilike", "Zorro")]))

    def test_suspension_asks_why(self):
        self.start_tour(
            f"/odoo/action-mlml_barter.res_partner_mlml_member_action/{self.beta.id}",
            "mlml_back_office_suspend",
            login="admin",
        )
        self.assertEqual(self.beta.mlml_member_state, "suspended")
        self.assertEqual(self.beta.mlml_suspension_reason, "Membership fee unpaid since March")

from odoo.tests import HttpCase, tagged

from .test_clearing_ledger import ClearingHouseCommon


@tagged("post_install", "-at_install")
class TestBackOfficeTitles(ClearingHouseCommon):
    """What new records of the back office are called and what their chatter says
    at creation."""

    def test_new_records_are_called_new(self):
        line = self.env["mlml.credit.line"].new({})
        self.assertEqual(line.display_name, "New credit line")
        line.partner_id = self.alpha
        self.assertEqual(line.display_name, "Alpha Nettoyage: −0.00\N{NO-BREAK SPACE}MLML / +∞")
        run = self.env["mlml.compensation"].new({})
        self.assertFalse(run.name)
        self.assertEqual(self.env["mlml.compensation"].create({}).name[:4], "CMP/")

    def test_creation_messages_name_the_record_as_it_is(self):
        # Their own sentences, which French writes "créée" (mail's "%s créé" would not).
        env = self.env(
            context=dict(self.env.context, tracking_disable=False, mail_create_nolog=False)
        )
        line = env["mlml.credit.line"].create(
            {"partner_id": self.alpha.id, "credit_limit": 300.0, "balance_ceiling": 0.0}
        )
        run = env["mlml.compensation"].create({"cutoff_date": "2026-12-31"})
        request = env["mlml.payment.request"].create(
            {"payer_id": self.alpha.id, "payee_id": self.beta.id, "amount": 50.0}
        )
        for record, said in (
            (line, "Credit line created"),
            (run, "Compensation run created"),
            (request, "Payment request created"),
        ):
            with self.subTest(model=record._name):
                self.assertIn(f"<p>{said}</p>", str(record.message_ids[-1].body))


@tagged("post_install", "-at_install")
class TestBackOfficeTitlesInTheBrowser(ClearingHouseCommon, HttpCase):
    """The same names in the browser, and what the dialog of a new API key gives to
    the member. A class of its own: the requests of its browser share the test's
    cursor, which a test after it in the same class could meet still in use."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # One company, as most clearing houses: no multi-company group.
        cls.officer = cls.create_user(
            "mlml_titles_officer",
            "account.group_account_invoice,mlml_barter.group_mlml_manager,"
            "mlml_barter.group_mlml_clearing_house",
        )

    def test_new_records_and_the_api_key_dialog_in_the_browser(self):
        self.assertFalse(self.officer.has_group("base.group_multi_company"))
        self.start_tour(
            f"/odoo/action-mlml_barter.res_partner_mlml_member_action/{self.gamma.id}",
            "mlml_barter_back_office_titles",
            login=self.officer.login,
        )
        self.assertEqual(self.gamma.mlml_api_key_count, 1)

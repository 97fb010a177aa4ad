from lxml import etree

from odoo.tests import tagged

from .common import MlmlBarterCommon
from .test_payment import MlmlPaymentCommon


class BarterJournalCase:
    def assert_barter_journal(self, company, account_prefix):
        journal = company.mlml_journal_id
        self.assertRecordValues(
            journal,
            [
                {
                    "name": "MLML",
                    "code": "MLML",
                    "type": "bank",
                    "currency_id": self.mlml.id,
                    "company_id": company.id,
                }
            ],
        )
        account = journal.default_account_id.with_company(company)
        self.assertRecordValues(
            account, [{"account_type": "asset_cash", "currency_id": self.mlml.id}]
        )
        self.assertTrue(
            account.code.startswith(account_prefix),
            f"{account.code} should start with {account_prefix}",
        )
        self.assertEqual(company.mlml_currency_id, self.mlml)
        return journal


@tagged("post_install", "-at_install")
class TestBarterJournalGeneric(BarterJournalCase, MlmlBarterCommon):
    def test_barter_journal_on_the_generic_chart(self):
        company = self.env.company
        journal = self.assert_barter_journal(company, company.bank_account_code_prefix)
        self.assertEqual(journal.default_account_id.name, "MLML Account")
        self.assertFalse(journal.default_account_id.code.startswith("517"))

    def test_journal_created_once(self):
        company = self.env.company
        journal = company.mlml_journal_id
        company._mlml_setup()
        self.env["account.chart.template"].try_loading(company.chart_template, company)
        self.assertEqual(company.mlml_journal_id, journal)
        self.assertEqual(
            self.env["account.journal"].search_count(
                [("company_id", "=", company.id), ("currency_id", "=", self.mlml.id)]
            ),
            1,
        )


@tagged("post_install", "-at_install")
class TestBarterJournalFrench(BarterJournalCase, MlmlBarterCommon):
    @classmethod
    @MlmlBarterCommon.setup_country("fr")
    def setUpClass(cls):
        super().setUpClass()

    def test_barter_journal_on_the_french_chart_is_517(self):
        self.assertEqual(self.env.company.chart_template, "fr")
        self.assert_barter_journal(self.env.company, "517")

    def test_company_given_the_french_chart_later_gets_its_own(self):
        self.env["res.lang"]._activate_lang("fr_FR")
        company = self.env["res.company"].create(
            {
                "name": "Nettoyage du Vieux-Lille",
                "country_id": self.env.ref("base.fr").id,
                "currency_id": self.env.ref("base.EUR").id,
            }
        )
        self.assertFalse(company.mlml_journal_id)
        self.env["account.chart.template"].try_loading("fr", company, install_demo=False)
        journal = self.assert_barter_journal(company, "517")
        self.assertNotEqual(journal, self.env.company.mlml_journal_id)
        account = journal.default_account_id.with_company(company)
        self.assertEqual(account.with_context(lang="fr_FR").name, "Compte MLML")
        self.assertEqual(account.with_context(lang="en_US").name, "MLML Account")


@tagged("post_install", "-at_install")
class TestBarterJournalCard(MlmlPaymentCommon):
    """The barter journal's card on the dashboard is the account at the clearing house."""

    def card_arch(self):
        view = self.env.ref("account.account_journal_dashboard_kanban_view")
        arch = self.env["account.journal"].get_views([(view.id, "kanban")])["views"]["kanban"]
        return etree.fromstring(arch["arch"])

    def test_card_figures(self):
        self.pay(800.0)
        data = self.journal._get_journal_dashboard_data_batched()[self.journal.id]
        self.assertTrue(data["mlml_is_barter"])
        self.assertEqual(data["mlml_balance"], self.mlml.format(-800.0))
        self.assertEqual(data["mlml_credit_limit"], self.mlml.format(1000.0))
        self.assertEqual(data["mlml_available_credit"], self.mlml.format(200.0))
        self.assertEqual(data["mlml_ceiling_room"], self.mlml.format(2800.0))
        bank = self.company_data["default_journal_bank"]
        self.assertNotIn("mlml_is_barter", bank._get_journal_dashboard_data_batched()[bank.id])

    def test_card_is_not_a_bank_card(self):
        arch = self.card_arch()
        # No "Connect your bank" and no "Bank Setup" on the barter journal's card.
        connect = arch.xpath("//span[contains(text(), 'Connect your bank')]")[0]
        self.assertIn("!dashboard.mlml_is_barter", connect.get("t-if"))
        setup = arch.xpath("//button[@name='action_configure_bank_journal']")[0]
        self.assertIn("!dashboard.mlml_is_barter", setup.get("t-if"))
        self.assertTrue(arch.xpath("//div[@name='mlml_what']"))
        # The statement and the payments, from the card and from its menu.
        buttons = arch.xpath(
            "//div[@name='bank_cash_buttons']//t[@t-if='dashboard.mlml_is_barter']"
        )
        self.assertEqual(
            [button.get("name") for button in buttons[0].iter("button")],
            ["action_mlml_statement", "open_payments_action", "action_mlml_synchronize"],
        )
        self.assertTrue(arch.xpath("//a[@name='action_mlml_statement']"))
        action = self.journal.action_mlml_statement()
        self.assertEqual(action["res_model"], "mlml.statement.wizard")
        self.assertEqual(action["target"], "new")
        self.assertEqual(action["context"], {"default_company_id": self.env.company.id})

    def test_card_shows_the_balance_once(self):
        arch = self.card_arch()
        odoo_balance = arch.xpath("//div[@id='dashboard_bank_cash_balance']/..")[0]
        self.assertIn("!dashboard.mlml_is_barter", odoo_balance.get("t-if"))
        rows = arch.xpath("//t[@t-if='dashboard.mlml_is_barter']/div[@class='row']/@name")
        self.assertEqual(
            rows,
            ["mlml_balance", "mlml_credit_limit", "mlml_available_credit", "mlml_ceiling_room"],
        )

from odoo.tests import tagged

from .common import MlmlBarterCommon


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

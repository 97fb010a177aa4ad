from odoo.tests import tagged

from .common import MlmlBarterCommon


@tagged("post_install", "-at_install")
class TestFrenchNames(MlmlBarterCommon):
    """Every record the add-on creates at install reads in French for a French user."""

    @classmethod
    @MlmlBarterCommon.setup_country("fr")
    def setUpClass(cls):
        super().setUpClass()
        cls.env["res.lang"]._activate_lang("fr_FR")
        cls.env["ir.module.module"]._load_module_terms(["mlml_barter"], ["fr_FR"], overwrite=True)
        cls.fr = cls.env(context=dict(cls.env.context, lang="fr_FR"))

    def test_payment_methods_read_in_french_wherever_they_are_shown(self):
        methods = self.fr.ref("mlml_barter.account_payment_method_mlml_in") + self.fr.ref(
            "mlml_barter.account_payment_method_mlml_out"
        )
        self.assertEqual(set(methods.mapped("name")), {"Virement MLML"})
        journal = self.env.company.mlml_journal_id.with_env(self.fr)
        lines = journal.inbound_payment_method_line_ids + journal.outbound_payment_method_line_ids
        # The lines were named at install, in English: French users read French.
        self.assertEqual(set(lines.mapped("name")), {"MLML Transfer"})
        self.assertEqual(set(lines.mapped("display_name")), {"Virement MLML (MLML)"})
        # Register Payment shows them without the journal.
        hidden = lines.with_context(hide_payment_journal_id=True)
        self.assertEqual(set(hidden.mapped("display_name")), {"Virement MLML"})
        # In English they stay English; a name the user chose stays as typed.
        self.assertEqual(
            set(lines.with_context(lang="en_US").mapped("display_name")),
            {"MLML Transfer (MLML)"},
        )
        lines[0].name = "Compensation MLML"
        self.assertEqual(lines[0].display_name, "Compensation MLML (MLML)")

    def test_a_payment_shows_its_method_in_french(self):
        journal = self.env.company.mlml_journal_id
        # As Register Payment and the payment form show it, before saving.
        payment = self.env["account.payment"].new(
            {
                "payment_type": "inbound",
                "partner_type": "customer",
                "partner_id": self.partner_a.id,
                "amount": 10.0,
                "journal_id": journal.id,
            }
        )
        self.assertEqual(
            payment.with_env(self.fr).payment_method_line_id.display_name,
            "Virement MLML (MLML)",
        )

    def test_records_of_the_install_in_french(self):
        ref = self.fr.ref
        self.assertRecordValues(
            ref("mlml_barter.mail_activity_type_mlml_approval"),
            [
                {
                    "name": "Décider de la ligne de crédit",
                    "summary": "Approuver ou refuser la ligne de crédit soumise",
                }
            ],
        )
        self.assertRecordValues(
            ref("mlml_barter.mail_activity_type_mlml_review"),
            [
                {
                    "name": "Réviser la ligne de crédit",
                    "summary": "La date de révision de cette ligne de crédit est passée",
                }
            ],
        )
        self.assertEqual(
            ref("mlml_barter.mail_activity_type_mlml_bounds").name,
            "Solde inter-entreprises hors bornes",
        )
        self.assertEqual(
            ref("mlml_barter.ir_cron_mlml_credit_line_review").name,
            "MLML : rappeler les révisions des lignes de crédit",
        )
        currency = ref("mlml_barter.currency_mlml")
        self.assertEqual(currency.full_name, "MLML – monnaie inter-entreprises")
        self.assertEqual(currency.currency_subunit_label, "centime")

    def test_barter_journal_and_account_of_a_french_company(self):
        company = self.env["res.company"].create(
            {
                "name": "Nettoyage du Vieux-Lille",
                "country_id": self.env.ref("base.fr").id,
                "currency_id": self.env.ref("base.EUR").id,
            }
        )
        self.env["account.chart.template"].try_loading("fr", company, install_demo=False)
        journal = company.mlml_journal_id.with_env(self.fr)
        self.assertEqual(journal.name, "MLML")
        self.assertEqual(journal.default_account_id.with_company(company).name, "Compte MLML")
        lines = journal.inbound_payment_method_line_ids + journal.outbound_payment_method_line_ids
        self.assertEqual(set(lines.mapped("display_name")), {"Virement MLML (MLML)"})

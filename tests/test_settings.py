from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import Form, tagged
from odoo.tools.misc import formatLang

from .common import MlmlBarterCommon


@tagged("post_install", "-at_install")
class TestBarterSettings(MlmlBarterCommon):
    def save_settings(self, **values):
        """Save the settings as the web client does: create, then execute."""
        settings = self.env["res.config.settings"].create(values)
        settings.execute()
        return settings

    def test_settings_block_is_in_the_invoicing_settings(self):
        arch = self.env["res.config.settings"].get_views([(False, "form")])["views"]["form"]["arch"]
        for name in ("mlml_currency_id", "mlml_journal_id", "mlml_default_share"):
            self.assertIn(f'name="{name}"', arch)
        self.assertIn("action_mlml_create_journal", arch)

    def test_settings_round_trip(self):
        company = self.env.company
        settings = self.env["res.config.settings"].create({})
        self.assertEqual(settings.mlml_currency_id, self.mlml)
        self.assertEqual(settings.mlml_journal_id, company.mlml_journal_id)
        self.assertEqual(settings.mlml_default_share, 0.0)

        self.save_settings(mlml_default_share=40.0)

        self.assertEqual(company.mlml_default_share, 40.0)
        settings = self.env["res.config.settings"].create({})
        self.assertEqual(settings.mlml_default_share, 40.0)
        self.assertEqual(settings.mlml_journal_id, company.mlml_journal_id)

    def test_default_share_of_120_refused(self):
        with self.assert_refused(ValidationError, "must be between 0 and 100 %, not 120.00 %"):
            self.save_settings(mlml_default_share=120.0)
        with self.assert_refused(ValidationError, "not -1.00 %"):
            self.env.company.mlml_default_share = -1
        self.assertEqual(self.env.company.mlml_default_share, 0.0)

    def test_negative_cap_refused_with_the_amount(self):
        company = self.env.company
        amount = formatLang(self.env, -500.0, currency_obj=company.currency_id)
        with self.assert_refused(ValidationError, f"cannot be negative ({amount})"):
            self.save_settings(mlml_invoice_cap=-500.0, mlml_default_share=30.0)
        self.assertEqual(company.mlml_invoice_cap, 0.0)
        self.assertEqual(company.mlml_default_share, 0.0)

    def test_create_journal_from_settings_where_missing(self):
        company = self.env.company
        old_journal = company.mlml_journal_id
        company.mlml_journal_id = False
        old_journal.unlink()
        settings = self.env["res.config.settings"].create({})
        settings.action_mlml_create_journal()
        self.assertTrue(company.mlml_journal_id)
        self.assertNotEqual(company.mlml_journal_id, old_journal)
        self.assertEqual(company.mlml_journal_id.currency_id, self.mlml)

    def test_journal_of_another_currency_refused(self):
        bank = self.company_data["default_journal_bank"]
        with self.assert_refused(ValidationError, "must be a bank journal in MLM"):
            self.env.company.mlml_journal_id = bank
        self.assertNotEqual(self.env.company.mlml_journal_id, bank)

    def test_journal_without_chart_refused_with_a_hint(self):
        company = self.env["res.company"].create({"name": "Sans plan comptable"})
        with self.assert_refused(UserError, "has no chart of accounts yet"):
            company._mlml_ensure_journal()

    def test_blank_membership_in_the_settings_says_what_to_choose(self):
        company = self.env.company
        self.assertEqual(company.partner_id.mlml_member_state, "none")
        with self.assert_refused(
            ValidationError, f"Choose the membership of {company.partner_id.display_name}: one of"
        ):
            self.save_settings(mlml_member_state=False, mlml_default_share=30.0)
        self.assertEqual(company.partner_id.mlml_member_state, "none")
        self.assertEqual(company.mlml_default_share, 0.0)
        # The form does not offer the blank entry.
        arch = self.env["res.config.settings"].get_views([(False, "form")])["views"]["form"]["arch"]
        self.assertRegex(arch, r'<field name="mlml_member_state"[^>]*required="1"')


@tagged("post_install", "-at_install")
class TestMlmlManagerSettings(MlmlBarterCommon):
    """An MLML manager without settings rights sets the share, the cap and the bounds."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.manager = cls.create_user(
            "mlml_manager_settings", "account.group_account_invoice,mlml_barter.group_mlml_manager"
        )
        cls.billing = cls.create_user("mlml_billing_settings", "account.group_account_invoice")

    def test_manager_reaches_the_settings_from_the_mlml_menu(self):
        self.assertFalse(self.manager.has_group("base.group_system"))
        menu = self.env.ref("mlml_barter.mlml_company_settings_menu")
        visible = self.env["ir.ui.menu"].with_user(self.manager)._visible_menu_ids()
        self.assertIn(menu.id, visible)
        self.assertNotIn(
            menu.id, self.env["ir.ui.menu"].with_user(self.billing)._visible_menu_ids()
        )
        # Odoo's settings stay closed to them.
        with self.assertRaises(AccessError):
            self.env["res.config.settings"].with_user(self.manager).create({})

    def test_the_bounds_choices_read_in_french(self):
        self.env["res.lang"]._activate_lang("fr_FR")
        self.env["ir.module.module"]._load_module_terms(["mlml_barter"], ["fr_FR"])
        Settings = self.env["mlml.company.settings"].with_context(lang="fr_FR")
        choices = Settings.fields_get(["mlml_limit_mode"])["mlml_limit_mode"]["selection"]
        self.assertEqual(choices, [("block", "Bloquer"), ("warn", "Avertir")])

    def test_manager_sets_share_cap_and_mode(self):
        company = self.env.company
        company.write({"mlml_default_share": 20.0, "mlml_invoice_cap": 0.0})
        form = Form(self.env["mlml.company.settings"].with_user(self.manager))
        # What the form shows of the company (its currencies: the amounts' units).
        self.assertEqual(form.currency_id, company.currency_id)
        self.assertEqual(form.mlml_currency_id, self.mlml)
        self.assertEqual(form.mlml_default_share, 20.0)
        self.assertEqual(form.mlml_limit_mode, "block")
        form.mlml_default_share = 35.0
        form.mlml_invoice_cap = 500.0
        form.mlml_limit_mode = "warn"
        result = form.save().action_save()
        self.assertEqual(result["type"], "ir.actions.act_window_close")
        self.assertRecordValues(
            company,
            [{"mlml_default_share": 35.0, "mlml_invoice_cap": 500.0, "mlml_limit_mode": "warn"}],
        )
        # Nothing else of the company is theirs to write.
        with self.assertRaises(AccessError):
            company.with_user(self.manager).write({"mlml_default_share": 10.0})
        self.assertEqual(company.mlml_default_share, 35.0)

    def test_share_out_of_range_refused_and_nothing_written(self):
        company = self.env.company
        settings = (
            self.env["mlml.company.settings"]
            .with_user(self.manager)
            .create({"mlml_default_share": 120.0, "mlml_invoice_cap": 300.0})
        )
        with self.assert_refused(ValidationError, "must be between 0 and 100 %, not 120.00 %"):
            settings.action_save()
        self.assertEqual(company.mlml_default_share, 0.0)
        self.assertEqual(company.mlml_invoice_cap, 0.0)

    def test_others_cannot_use_it(self):
        with self.assertRaises(AccessError):
            self.env["mlml.company.settings"].with_user(self.billing).create({})
        other = self.setup_other_company(name="Autre société MLML")["company"]
        settings = (
            self.env["mlml.company.settings"]
            .with_user(self.manager)
            .create({"company_id": other.id, "mlml_default_share": 50.0})
        )
        with self.assert_refused(AccessError, "You do not work for Autre société MLML"):
            settings.action_save()
        self.assertEqual(other.mlml_default_share, 0.0)

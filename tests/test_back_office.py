from lxml import etree, html

from odoo.exceptions import UserError
from odoo.http import serialize_exception
from odoo.tests import tagged

from .test_clearing_ledger import ClearingHouseCommon


@tagged("post_install", "-at_install")
class TestBackOffice(ClearingHouseCommon):
    """The clearing house's back office as its staff and managers use it."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        staff = (
            "base.group_user,account.group_account_invoice,mlml_barter.group_mlml_clearing_staff"
        )
        cls.staff = cls.create_user("bo_staff", staff)
        cls.manager = cls.create_user("bo_manager", f"{staff},mlml_barter.group_mlml_manager")

    def new_transfer(self, user, payer, payee, amount, **values):
        return (
            self.env["mlml.transfer.wizard"]
            .with_user(user)
            .create({"payer_id": payer.id, "payee_id": payee.id, "amount": amount, **values})
        )

    def arch(self, model, view_type="form", xmlid=None):
        view_id = self.env.ref(xmlid).id if xmlid else None
        views = self.env[model].get_views([(view_id, view_type)])
        return etree.fromstring(views["views"][view_type]["arch"])

    # Issue 21, point 9: a bound refuses a back-office transfer in a plain message.
    def test_new_transfer_past_a_bound_is_a_plain_message_with_its_figures(self):
        self.book(self.alpha, self.beta, 800)
        for user, hint in ((self.staff, False), (self.manager, True)):
            with self.assertRaises(UserError) as caught:
                self.new_transfer(user, self.alpha, self.gamma, 300).action_confirm()
            error = caught.exception
            # The web client shows a warning for this name, and "Oops!" for any other.
            self.assertEqual(serialize_exception(error)["name"], "odoo.exceptions.UserError")
            message = str(error)
            self.assertIn("Alpha Nettoyage cannot pay 300.00", message)
            self.assertIn(
                "its balance is -800.00\xa0MLML and its credit line 1,000.00\xa0MLML", message
            )
            self.assertIn("so 100.00", message)
            self.assertEqual(
                "To force it, tick “Force the Bounds” and say why." in message,
                hint,
                user.login,
            )
        self.assertEqual(self.balances(), (-800.0, 800.0, 0.0, 0.0))

    def test_forced_by_a_manager_it_is_booked(self):
        self.book(self.alpha, self.beta, 800)
        action = self.new_transfer(
            self.manager, self.alpha, self.gamma, 300, force=True, force_reason="Avance accordée"
        ).action_confirm()
        transfer = self.Transfer.browse(action["res_id"])
        self.assertTrue(transfer.forced)
        self.assertEqual(self.balances(), (-1100.0, 800.0, 300.0, 0.0))

    # Point 9: no breadcrumbs pile up.
    def test_new_transfer_opens_it_in_place_of_the_screens_it_came_from(self):
        action = self.new_transfer(self.staff, self.alpha, self.beta, 120).action_confirm()
        self.assertEqual(action["target"], "main")
        self.assertEqual(action["views"], [(False, "form")])
        transfer = self.Transfer.browse(action["res_id"])
        self.assertEqual((transfer.payer_id, transfer.amount), (self.alpha, 120.0))

    def test_reversal_closes_its_dialog_on_the_transfer(self):
        transfer = self.book(self.alpha, self.beta, 120)
        wizard = (
            self.env["mlml.transfer.reverse"]
            .with_user(self.manager)
            .create({"transfer_id": transfer.id, "reason": "Facture annulée"})
        )
        self.assertEqual(wizard.action_confirm(), {"type": "ir.actions.act_window_close"})
        self.assertEqual(transfer.state, "reversed")
        self.assertEqual(transfer.reversed_by_id.reversal_reason, "Facture annulée")

    # Point 8: no partner made by a typo.
    def test_payer_and_payee_of_a_new_transfer_offer_no_create(self):
        arch = self.arch("mlml.transfer.wizard")
        for name in ("payer_id", "payee_id"):
            (field,) = arch.xpath(f"//field[@name='{name}']")
            self.assertIn("'no_create': True", field.get("options", ""), name)

    # Point 7: the balances can be checked with nothing ticked.
    def test_check_the_balances_without_a_selection(self):
        arch = self.arch("mlml.ledger.account", "list")
        (button,) = arch.xpath("//header/button[@name='action_repair']")
        self.assertEqual(button.get("display"), "always")
        self.book(self.alpha, self.beta, 50)
        action = self.Account.with_user(self.manager).browse().action_repair()
        self.assertEqual(action["params"]["type"], "success")
        self.assertIn("nothing was changed", action["params"]["message"])

    # Point 5: menu entries of distinct names.
    def test_the_mlml_menus_have_distinct_names(self):
        root = self.env.ref("mlml_barter.mlml_menu")
        menus = self.env["ir.ui.menu"].search([("id", "child_of", root.id)])
        names = menus.mapped("name")
        self.assertEqual(len(names), len(set(names)), sorted(names))
        self.assertEqual(
            self.env.ref("mlml_barter.mlml_payment_request_menu").name,
            "Members' Payment Requests",
        )

    # Point 4: the network page counts one way, and says which.
    def test_network_page_counts_the_transfers_that_stand(self):
        self.book(self.alpha, self.beta, 100)
        self.book(self.beta, self.gamma, 40)
        reversed_one = self.book(self.gamma, self.alpha, 25)
        reversed_one.reverse("Erreur de saisie")
        report = self.env["mlml.network.report"].with_user(self.staff).create({})
        self.assertEqual(report.transfer_count, 2)
        self.assertEqual(report.reversed_count, 1)
        volume = html.fromstring(str(report.volume_html))
        (row,) = volume.xpath("//tbody/tr")
        cells = row.xpath("td")
        self.assertEqual(cells[2].text, "2")
        self.assertIn("140.00", cells[1].text)
        self.assertEqual([c.get("class") for c in cells], [None, "text-end", "text-end"])
        self.assertIn("a reversed transfer and its reversal are left out", report.volume_html)
        self.assertIn("left out", report._fields["transfer_count"].help)

    # Point 11: a member's history, signed from its side, with its running balance.
    def test_account_history_is_signed_with_a_running_balance(self):
        self.book(self.alpha, self.beta, 100)
        self.book(self.beta, self.alpha, 30)
        self.book(self.gamma, self.beta, 5)
        self.book(self.gamma, self.alpha, 12.5)
        account = self.Account.search(
            [("company_id", "=", self.company.id), ("partner_id", "=", self.alpha.id)]
        )
        history = account.transfer_ids.with_context(mlml_ledger_partner_id=self.alpha.id)
        self.assertEqual(history.mapped("account_amount"), [12.5, 30.0, -100.0])
        self.assertEqual(history.mapped("account_balance"), [-57.5, -70.0, -100.0])
        self.assertEqual(history[0].account_balance, account.balance)
        # What the account's form reads.
        spec = {"fields": {"account_amount": {}, "account_balance": {}}}
        (values,) = account.with_user(self.staff).web_read({"transfer_ids": spec})
        self.assertEqual(
            [(row["account_amount"], row["account_balance"]) for row in values["transfer_ids"]],
            [(12.5, -57.5), (30.0, -70.0), (-100.0, -100.0)],
        )

    # Point 6: the clearing house's own account is named so, without bounds.
    def test_house_account_reads_as_the_clearing_house(self):
        self.Account.with_user(self.staff)._action_open_accounts()
        accounts = self.Account.search([("company_id", "=", self.company.id)])
        house = accounts.filtered(lambda a: a.partner_id == self.house)
        alpha = accounts.filtered(lambda a: a.partner_id == self.alpha)
        self.assertEqual((house.holder_state, alpha.holder_state), ("house", "active"))
        arch = self.arch("mlml.ledger.account", "list")
        for name in ("credit_limit", "balance_ceiling", "available"):
            (field,) = arch.xpath(f"//field[@name='{name}']")
            self.assertEqual(field.get("invisible"), "holder_state == 'house'", name)

    def test_clearing_house_settings_hide_the_member_ones(self):
        arch = self.arch("res.config.settings")
        for setting in ("mlml_clearing_house_connection", "mlml_compensation"):
            (node,) = arch.xpath(f"//setting[@id='{setting}']")
            self.assertEqual(node.get("invisible"), "mlml_is_clearing_house", setting)
        arch = self.arch("mlml.company.settings")
        (group,) = arch.xpath("//group[field[@name='mlml_balance']]/..")
        self.assertEqual(group.get("invisible"), "mlml_is_clearing_house")
        settings = self.env["mlml.company.settings"].with_user(self.manager).create({})
        self.assertTrue(settings.mlml_is_clearing_house)

    # Point 13: a suspension asks why, and says it.
    def test_suspending_a_member_asks_the_reason_and_logs_it(self):
        action = self.alpha.with_user(self.manager).action_mlml_suspend()
        self.assertEqual(action["res_model"], "mlml.member.suspend")
        self.assertEqual(self.alpha.mlml_member_state, "active")
        wizard = (
            self.env["mlml.member.suspend"]
            .with_user(self.manager)
            .with_context(**action["context"])
            .create({"reason": "Cotisation impayée depuis mars"})
        )
        self.assertEqual(wizard.partner_ids, self.alpha)
        wizard.action_confirm()
        self.assertEqual(self.alpha.mlml_member_state, "suspended")
        self.assertEqual(self.alpha.mlml_suspension_reason, "Cotisation impayée depuis mars")
        self.assertIn("Cotisation impayée depuis mars", self.alpha.message_ids[0].body)
        self.assertIn("bo_manager", self.alpha.message_ids[0].body)
        # A blank reason suspends nobody.
        self.assertEqual(
            self.beta.with_user(self.manager).action_mlml_suspend("  ")["res_model"],
            "mlml.member.suspend",
        )
        self.assertEqual(self.beta.mlml_member_state, "active")
        self.alpha.with_user(self.manager).action_mlml_activate()
        self.assertFalse(self.alpha.mlml_suspension_reason)
        self.assertTrue(self.env["mlml.member.suspend"]._fields["reason"].required)


@tagged("post_install", "-at_install")
class TestMlmlNames(ClearingHouseCommon):
    """What the add-on made by code reads in the database's languages, and the
    payment screens of a barter payment."""

    def test_payment_methods_read_in_french_without_english(self):
        journal = self.company.mlml_journal_id
        self.company.partner_id.lang = "fr_FR"
        lines = journal.inbound_payment_method_line_ids | journal.outbound_payment_method_line_ids
        mlml = lines.filtered(lambda line: line.code == "mlml")[:1]
        mlml.name = "MLML Transfer"
        # A French database where English is not active.
        self.env.cr.execute("UPDATE res_lang SET active = (code = 'fr_FR')")
        self.env.registry.clear_cache()
        self.assertEqual(
            mlml.with_context(lang="fr_FR").display_name, f"Virement MLML ({journal.name})"
        )
        bank = self.company_data["default_journal_bank"]
        manual = bank.inbound_payment_method_line_ids.filtered(lambda l: l.code == "manual")
        manual.name = "Manual Payment"
        self.assertTrue(
            manual.with_context(lang="fr_FR").display_name.startswith("Paiement manuel"),
            manual.with_context(lang="fr_FR").display_name,
        )
        # Loading the translations names the barter journal's methods in French.
        self.env["ir.module.module"].search([("name", "=", "mlml_barter")])._update_translations(
            ["fr_FR"]
        )
        self.assertEqual(mlml.name, "Virement MLML")

    def test_a_new_barter_journal_names_its_methods_in_the_company_language(self):
        company = self.env["res.company"].create({"name": "Nouvelle Société"})
        company.partner_id.lang = "fr_FR"
        self.env["account.chart.template"].try_loading("fr", company, install_demo=False)
        journal = company.mlml_journal_id
        self.assertTrue(journal)
        names = (
            journal.inbound_payment_method_line_ids | journal.outbound_payment_method_line_ids
        ).mapped("name")
        self.assertEqual(set(names), {"Virement MLML"})
        self.assertEqual(journal.default_account_id.with_context(lang="fr_FR").name, "Compte MLML")

    # Point 2: the barter currency once, as the amount's symbol.
    def test_barter_payments_show_their_currency_once(self):
        for model, xmlid in (
            ("account.payment", "account.view_account_payment_form"),
            ("account.payment.register", "account.view_account_payment_register_form"),
        ):
            arch = TestBackOffice.arch(self, model, xmlid=xmlid)
            (currency,) = arch.xpath("//div[@name='amount_div']/field[@name='currency_id']")
            self.assertIn("mlml_is_barter", currency.get("invisible"), model)

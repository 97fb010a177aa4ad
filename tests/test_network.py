import html
import re

from odoo.exceptions import ValidationError
from odoo.tests import tagged

from .test_payment import MlmlPaymentCommon

WORD = re.compile(r"(?<![\w-])MLML(?![\w-])")


@tagged("post_install", "-at_install")
class TestNetworkName(MlmlPaymentCommon):
    """A WIR member renames the currency and the network, and reads WIR everywhere."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.mlml.write({"name": "CHW", "symbol": "WIR", "currency_unit_label": "WIR"})
        cls.env.company.write({"mlml_network_name": "WIR", "mlml_default_share": 50.0})

    def test_menus_name_the_network(self):
        menus = self.env["ir.ui.menu"].load_menus(debug=False)
        root = self.env.ref("mlml_barter.mlml_menu")
        self.assertEqual(menus[root.id]["name"], "WIR")
        # The cached menus of another company, still on MLML, are untouched.
        other = self.setup_other_company(name="Membre MLML")["company"]
        menus = self.env["ir.ui.menu"].with_company(other).load_menus(debug=False)
        self.assertEqual(menus[root.id]["name"], "MLML")

    def test_invoice_form_names_the_network(self):
        view = self.env["account.move"].get_views([(False, "form")])
        arch = view["views"]["form"]["arch"]
        fields = view["models"]["account.move"]["fields"]
        self.assertIn('string="WIR"', arch)
        self.assertFalse(WORD.findall(arch), "no label of the form says MLML")
        labels = self.env["account.move"].fields_get(["mlml_amount", "mlml_share"], ["string"])
        self.assertEqual(labels["mlml_amount"]["string"], "WIR Part")
        self.assertEqual(labels["mlml_share"]["string"], "WIR Share (%)")
        self.assertEqual(fields["mlml_amount"]["string"], "WIR Part")

    def test_printed_invoice_names_the_network(self):
        invoice = self.init_invoice(
            "out_invoice", partner=self.member, amounts=[1000.0], taxes=self.tax_sale_a
        )
        invoice.action_post()
        markup = (
            self.env["ir.actions.report"]
            ._render_qweb_html("account.account_invoices", invoice.ids)[0]
            .decode()
        )
        text = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", markup)).split())
        self.assertIn("Of which payable in WIR: 500.00 WIR", text)
        self.assertFalse(WORD.findall(text))

    def test_refusals_name_the_network(self):
        with self.assertRaises(ValidationError) as caught:
            self.pay(0.0)
        message = str(caught.exception)
        self.assertIn("WIR", message)
        self.assertFalse(WORD.findall(message), message)

    def test_an_empty_name_is_refused(self):
        with self.assert_refused(ValidationError, "must be 1 to 30 characters long"):
            self.env.company.mlml_network_name = "   "
        self.assertEqual(self.env.company.mlml_network_name, "WIR")

    def test_statement_names_the_network(self):
        self.pay(100.0)
        wizard = self.env["mlml.statement.wizard"].create({})
        markup = (
            self.env["ir.actions.report"]
            ._render_qweb_html("mlml_barter.mlml_statement_report", wizard.ids)[0]
            .decode()
        )
        text = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", markup)).split())
        self.assertIn("WIR account statement", text)
        self.assertFalse(WORD.findall(text), text)

    def test_payment_method_names_the_network(self):
        lines = self.journal.outbound_payment_method_line_ids
        self.assertTrue(lines)
        for line in lines:
            self.assertFalse(WORD.findall(line.display_name), line.display_name)

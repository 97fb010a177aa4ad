from odoo import Command
from odoo.tests import new_test_user, tagged

from .common import MlmlHttpCommon


class MlmlInvoiceHttpCommon(MlmlHttpCommon):
    """The company and a customer active members, a 50 % share, a product of 1,000."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        company = cls.company
        cls.create_line(
            company.partner_id, "approved", limit=5000.0, ceiling=0.0, company_id=company.id
        )
        company.mlml_default_share = 50.0

        cls.customer = cls.create_member(
            "Brasserie des Flandres", state="candidate", number="MLML-0402"
        )
        cls.customer.action_mlml_activate()
        cls.tax = company.account_sale_tax_id
        cls.product = cls.env["product.product"].create(
            {
                "name": "Conseil MLML",
                "type": "service",
                "list_price": 1000.0,
                "taxes_id": [Command.set(cls.tax.ids)],
            }
        )
        cls.salesperson = new_test_user(
            cls.env,
            login="mlml_salesperson",
            groups="account.group_account_invoice,base.group_partner_manager",
            name="Salesperson MLML",
            company_id=company.id,
            company_ids=[Command.set(company.ids)],
        )


@tagged("post_install", "-at_install")
class TestMlmlInvoiceTours(MlmlInvoiceHttpCommon):
    """A salesperson issues a mixed invoice, an accountant registers its MLML part."""

    def setUp(self):
        super().setUp()
        # The web client shows the invoice in HTML, as it does without wkhtmltopdf:
        # the tour reads the printed invoice there, on any machine.
        self.patch(
            type(self.env["ir.actions.report"]), "get_wkhtmltopdf_state", lambda self: "install"
        )

    def assert_setup(self):
        self.assertEqual(self.company.partner_id.mlml_member_state, "active")
        self.assertEqual(self.company.mlml_credit_limit, 5000.0)
        self.assertEqual(self.customer.mlml_member_state, "active")
        self.assertEqual(self.journal.name, "MLML")
        self.assertEqual(self.tax.amount, 20.0)
        self.assertFalse(self.tax.price_include)

    def assert_mixed_invoice(self, invoice):
        self.assertRecordValues(
            invoice,
            [
                {
                    "move_type": "out_invoice",
                    "partner_id": self.customer.id,
                    "state": "posted",
                    "amount_untaxed": 1000.0,
                    "amount_total": 1200.0,
                    "mlml_share": 50.0,
                    "mlml_amount": 500.0,
                    "mlml_cash_amount": 700.0,
                }
            ],
        )
        self.assertEqual(invoice.invoice_line_ids.product_id, self.product)
        self.assertEqual(invoice.invoice_line_ids.tax_ids, self.tax)

    def test_salesperson_creates_posts_and_prints_a_mixed_invoice(self):
        self.assert_setup()
        self.assertFalse(self.salesperson.has_group("account.group_account_user"))
        self.assertTrue(self.salesperson.has_group("mlml_barter.group_mlml_user"))

        self.start_tour(
            "/odoo", "mlml_barter_salesperson_mixed_invoice", login=self.salesperson.login
        )

        invoice = self.env["account.move"].search([("partner_id", "=", self.customer.id)])
        self.assertEqual(len(invoice), 1)
        self.assert_mixed_invoice(invoice)
        self.assertEqual(invoice.create_uid, self.salesperson)
        self.assertRecordValues(
            invoice,
            [
                {
                    "payment_state": "not_paid",
                    "mlml_residual": 500.0,
                    "mlml_cash_residual": 700.0,
                }
            ],
        )

    def test_accountant_registers_the_mlml_part(self):
        self.assert_setup()
        invoice = self.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": self.customer.id,
                "invoice_line_ids": [Command.create({"product_id": self.product.id})],
            }
        )
        invoice.action_post()
        self.assert_mixed_invoice(invoice)
        admin = self.env.ref("base.user_admin")
        self.assertTrue(admin.has_group("account.group_account_invoice"))

        self.start_tour(
            "/odoo/action-account.action_move_out_invoice_type",
            "mlml_barter_accountant_registers_mlml_part",
            login="admin",
        )

        self.env.invalidate_all()
        payment = self.env["account.payment"].search([("partner_id", "=", self.customer.id)])
        self.assertEqual(len(payment), 1)
        self.assertRecordValues(
            payment,
            [
                {
                    "payment_type": "inbound",
                    "journal_id": self.journal.id,
                    "currency_id": self.company.mlml_currency_id.id,
                    "amount": 500.0,
                }
            ],
        )
        self.assertEqual(payment.move_id.state, "posted")
        # Final at once: the clearing house's ledger moved.
        self.assertRecordValues(payment, [{"state": "paid", "is_matched": True}])
        self.assertEqual(payment.create_uid, admin)
        self.assertIn(invoice, payment.reconciled_invoice_ids)
        self.assertRecordValues(
            invoice,
            [
                {
                    "payment_state": "partial",
                    "mlml_paid": 500.0,
                    "mlml_residual": 0.0,
                    "mlml_cash_residual": 700.0,
                    "amount_residual": 700.0,
                }
            ],
        )
        self.assertEqual(self.company.mlml_balance, 500.0)


@tagged("post_install", "-at_install")
class TestMlmlInvoiceFormFrench(MlmlInvoiceHttpCommon):
    """The MLML group reads in French, fully, at the widths accountants use."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["res.lang"]._activate_lang("fr_FR")
        cls.salesperson.lang = "fr_FR"
        cls.company.mlml_default_share = 30.0
        cls.invoice = cls.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": cls.customer.id,
                "invoice_line_ids": [Command.create({"product_id": cls.product.id})],
            }
        )

    def assert_split(self):
        self.assertRecordValues(
            self.invoice,
            [{"mlml_share": 30.0, "mlml_amount": 300.0, "mlml_cash_amount": 900.0}],
        )

    def test_draft_and_posted_invoice_in_french_at_three_widths(self):
        self.assert_split()
        url = f"/odoo/action-account.action_move_out_invoice_type/{self.invoice.id}"
        for width in (1280, 1440, 1920):
            with self.subTest(width=width):
                self.browser_size = f"{width},900"
                self.start_tour(url, "mlml_barter_invoice_form_fr_draft", login="mlml_salesperson")
                self.assert_split()  # the typed 250 was discarded
        self.invoice.action_post()
        for width in (1280, 1440, 1920):
            with self.subTest(width=width):
                self.browser_size = f"{width},900"
                self.start_tour(url, "mlml_barter_invoice_form_fr_posted", login="mlml_salesperson")

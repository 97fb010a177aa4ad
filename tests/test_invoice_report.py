import html
import re
from unittest.mock import patch

from odoo.tests import tagged

from .test_payment import MlmlPaymentCommon

INVOICE_REPORT = "account.account_invoices"
SPLIT = "Of which payable in MLML: 500.00 MLML — payable in euros: 700.00 €"
MENTION = (
    "Partial payment by compensation in the inter-company currency MLML (1 MLML = 1 €). "
    "VAT payable in euros."
)
CASH_TO_PAY = "Amount to pay in euros: 700.00 €"


@tagged("post_install", "-at_install")
class TestInvoiceReport(MlmlPaymentCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        company = cls.env.company
        company.mlml_default_share = 50.0
        company.qr_code = True
        bank = cls.env["res.bank"].create({"name": "Banque du Nord", "bic": "NORDFRPP"})
        cls.bank_account = cls.env["res.partner.bank"].create(
            {
                "acc_number": "FR76 3000 6000 0112 3456 7890 189",
                "partner_id": company.partner_id.id,
                "bank_id": bank.id,
            }
        )

    def invoice(self, partner=None):
        """A customer invoice of 1,000 € HT + 20 % VAT, posted, payable on the bank account."""
        invoice = self.init_invoice(
            "out_invoice", partner=partner or self.member, amounts=[1000.0], taxes=self.tax_sale_a
        )
        invoice.partner_bank_id = self.bank_account
        invoice.action_post()
        return invoice

    def render(self, invoice):
        """The text of the printed invoice as a reader sees it: no tags, single spaces."""
        report = self.env["ir.actions.report"]
        markup = report._render_qweb_html(INVOICE_REPORT, invoice.ids)[0].decode()
        return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", markup)).split())

    def qr_payload(self, invoice):
        """The lines of the SEPA transfer the invoice's QR code encodes (None: no QR code)."""
        report_class = self.registry["ir.actions.report"]
        barcode = report_class.barcode
        encoded = []

        def spy(report, barcode_type, value, **kwargs):
            encoded.append(value)
            return barcode(report, barcode_type, value, **kwargs)

        with patch.object(report_class, "barcode", spy):
            url = invoice._generate_qr_code()
        if url is None:
            self.assertFalse(encoded)
            return None
        self.assertTrue(url.startswith("data:image/png;base64,"))
        self.assertEqual(invoice.qr_code_method, "sct_qr")
        self.assertEqual(len(encoded), 1)
        return encoded[0].split("\n")

    def test_mixed_invoice_shows_the_split_under_the_totals_and_the_mention(self):
        invoice = self.invoice()
        self.assertRecordValues(invoice, [{"mlml_amount": 500.0, "mlml_cash_amount": 700.0}])
        text = self.render(invoice)
        self.assertIn(SPLIT, text)
        self.assertIn(MENTION, text)
        self.assertLess(text.index("Total 1,200.00 €"), text.index(SPLIT))
        communication = f"Payment Communication: {invoice.payment_reference}"
        self.assertIn(communication, text)
        self.assertLess(text.index(communication), text.index(CASH_TO_PAY))

    def test_the_texts_take_the_symbol_of_the_barter_currency(self):
        self.mlml.symbol = "WIR"
        text = self.render(self.invoice())
        self.assertIn("Of which payable in WIR: 500.00 WIR — payable in euros: 700.00 €", text)
        self.assertIn("inter-company currency WIR (1 WIR = 1 €).", text)
        self.assertNotIn("MLML", text)

    def test_plain_invoice_has_neither_the_split_nor_the_mention(self):
        invoice = self.invoice(partner=self.partner_a)  # not a member: no MLML part
        self.assertEqual(invoice.mlml_amount, 0.0)
        text = self.render(invoice)
        self.assertIn(f"Payment Communication: {invoice.payment_reference}", text)
        self.assertIn("Total 1,200.00 €", text)
        for absent in ("Of which payable in", "compensation", "Amount to pay in euros"):
            self.assertNotIn(absent, text)

    def test_printed_in_french_for_a_french_customer(self):
        self.env["res.lang"]._activate_lang("fr_FR")
        self.env["ir.module.module"]._load_module_terms(["mlml_barter"], ["fr_FR"])
        self.member.lang = "fr_FR"
        text = self.render(self.invoice())
        self.assertIn("Dont payable en MLML : 500,00 MLML — payable en euros : 700,00 €", text)
        self.assertIn(
            "Paiement partiel par compensation en monnaie inter-entreprises MLML "
            "(1 MLML = 1 €). TVA payable en euros.",
            text,
        )
        self.assertIn("Montant à payer en euros : 700,00 €", text)
        self.assertNotIn("Of which payable in", text)

    def test_qr_code_asks_for_the_cash_part(self):
        payload = self.qr_payload(self.invoice())
        self.assertIn("FR7630006000011234567890189", payload)
        self.assertIn("EUR700.0", payload)
        self.assertNotIn("EUR1200.0", payload)

    def test_qr_code_of_a_plain_invoice_asks_for_the_total(self):
        payload = self.qr_payload(self.invoice(partner=self.partner_a))
        self.assertIn("EUR1200.0", payload)

    def test_no_qr_code_once_the_cash_part_is_paid(self):
        invoice = self.invoice()
        bank = self.company_data["default_journal_bank"]
        self.env["account.payment.register"].with_context(
            active_model="account.move", active_ids=invoice.ids
        ).create({"journal_id": bank.id, "amount": 700.0})._create_payments()
        self.assertRecordValues(
            invoice,
            [{"amount_residual": 500.0, "mlml_residual": 500.0, "mlml_cash_residual": 0.0}],
        )
        self.assertIsNone(self.qr_payload(invoice))
        text = self.render(invoice)
        self.assertIn("Amount to pay in euros: 0.00 €", text)
        self.assertNotIn("Scan this QR Code", text)

    def test_the_invoice_email_tells_both_parts(self):
        invoice = self.invoice()
        template = self.env.ref("account.email_template_edi_invoice")
        body = self.env["account.move.send"]._get_default_mail_body(invoice, template, "en_US")
        text = re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", str(body))))
        self.assertIn(
            "Of this amount, 500.00 MLML is payable in MLML, by compensation at the clearing "
            "house, and 700.00 € in euros.",
            text.replace("\xa0", " "),
        )
        self.env.company.mlml_default_share = 0.0
        other = self.invoice()
        body = self.env["account.move.send"]._get_default_mail_body(other, template, "en_US")
        self.assertNotIn("payable in MLML", str(body))

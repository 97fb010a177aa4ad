import csv
import io
from datetime import timedelta

import openpyxl

from odoo import fields
from odoo.exceptions import ValidationError
from odoo.tests import Form, tagged

from .test_payment import MlmlPaymentCommon

REPORT = "mlml_barter.mlml_statement_report"


@tagged("post_install", "-at_install")
class TestMlmlStatement(MlmlPaymentCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        today = fields.Date.today()
        cls.date_from = today - timedelta(days=30)
        cls.date_to = today - timedelta(days=2)
        # The company's line was granted before the period (a decided line's
        # dates are locked: set in the database, as if approved back then).
        cls.env.cr.execute(
            "UPDATE mlml_credit_line SET date_start = %s WHERE id = %s",
            [today - timedelta(days=60), cls.company_line.id],
        )
        cls.company_line.invalidate_recordset(["date_start"])
        # Before the period: paid 200.
        cls.before = cls.pay_on(200.0, "outbound", today - timedelta(days=40))
        # In the period: paid 800, received 2,500, paid the MLML part (300) of a bill.
        cls.paid = cls.pay_on(800.0, "outbound", today - timedelta(days=20))
        cls.received = cls.pay_on(2500.0, "inbound", today - timedelta(days=10))
        cls.member.mlml_acceptance_rate = 100.0  # the whole 300 HT may be paid in MLML
        cls.bill = cls.init_invoice(
            "in_invoice",
            partner=cls.member,
            invoice_date=today - timedelta(days=12),
            amounts=[300.0],
            taxes=cls.tax_purchase_a,
            post=True,
        )
        register = Form(
            cls.env["account.payment.register"].with_context(
                active_model="account.move", active_ids=cls.bill.ids
            )
        )
        register.journal_id = cls.journal
        register.payment_date = today - timedelta(days=5)
        register.amount = 300.0
        cls.bill_payment = register.save()._create_payments()
        # Neither after the period nor a draft payment is in the statement.
        cls.pay_on(100.0, "inbound", today)
        cls.draft = cls.pay(50.0, post=False)
        cls.draft.date = today - timedelta(days=15)

    @classmethod
    def pay_on(cls, amount, payment_type, date):
        payment = cls.pay(amount, payment_type, post=False)
        payment.date = date
        payment.action_post()
        return payment

    def statement_wizard(self, **values):
        return self.env["mlml.statement.wizard"].create(
            {"date_from": self.date_from, "date_to": self.date_to, **values}
        )

    def test_statement_of_the_period(self):
        self.assertEqual(self.bill.amount_total, 360.0)
        self.assertEqual(self.bill.payment_state, "partial")  # its VAT is paid in euros
        self.assertEqual(self.bill.mlml_residual, 0.0)
        self.assertEqual(self.bill.mlml_cash_residual, 60.0)
        values = self.statement_wizard()._mlml_report_values()
        self.assertEqual(values["currency"], self.mlml)
        self.assertEqual(values["opening"], -200.0)
        member = self.member.display_name
        self.assertEqual(
            values["rows"],
            [
                {
                    "date": self.paid.date,
                    "partner": member,
                    "reference": self.paid.move_id.name,
                    "invoice": "",
                    "amount": -800.0,
                    "balance": -1000.0,
                    "details": "",
                },
                {
                    "date": self.received.date,
                    "partner": member,
                    "reference": self.received.move_id.name,
                    "invoice": "",
                    "amount": 2500.0,
                    "balance": 1500.0,
                    "details": "",
                },
                {
                    "date": self.bill_payment.date,
                    "partner": member,
                    "reference": self.bill_payment.move_id.name,
                    "invoice": self.bill.name,
                    "amount": -300.0,
                    "balance": 1200.0,
                    "details": "",
                },
            ],
        )
        self.assertEqual(values["closing"], 1200.0)
        self.assertEqual(values["credit_line"], self.company_line)
        self.assertEqual(values["credit_limit"], 1000.0)
        self.assertEqual(values["balance_ceiling"], 2000.0)
        self.assertFalse(values["credit_line_changed"])
        # Up to today, the statement closes on the balance at the clearing house.
        today = self.statement_wizard(date_to=fields.Date.today())._mlml_report_values()
        self.assertEqual(today["closing"], 1300.0)
        self.assert_balance(1300.0)

    def test_defaults_are_the_current_month(self):
        wizard = self.env["mlml.statement.wizard"].create({})
        today = fields.Date.context_today(wizard)
        self.assertEqual(wizard.company_id, self.env.company)
        self.assertEqual(wizard.date_from, today.replace(day=1))
        self.assertEqual(wizard.date_to, today)

    def test_pdf_shows_the_statement(self):
        wizard = self.statement_wizard()
        action = wizard.with_context(discard_logo_check=True).action_print_pdf()
        self.assertEqual(action["type"], "ir.actions.report")
        self.assertEqual(action["report_name"], "mlml_barter.report_mlml_statement")
        html = self.env["ir.actions.report"]._render_qweb_html(REPORT, wizard.ids)[0].decode()
        self.assertIn("MLML account statement", html)
        self.assertIn(self.env.company.name, html)
        self.assertIn(self.member.name, html)
        self.assertIn(self.paid.move_id.name, html)
        self.assertIn(self.bill.name, html)
        for amount in ("-200.00", "-800.00", "-1,000.00", "2,500.00", "1,500.00", "1,200.00"):
            # Odoo writes a minus sign followed by a zero-width no-break space.
            shown = amount.replace("-", "-\ufeff")
            self.assertIn(f'<span class="oe_currency_value">{shown}</span>', html)
        self.assertIn("Credit limit:", html)
        self.assertIn('<span class="oe_currency_value">2,000.00</span>', html)
        self.assertNotIn("no ceiling", html)
        self.assertNotIn("changed during the period", html)

    def test_pdf_without_ceiling_and_without_movement(self):
        self.create_line(
            self.env.company.partner_id,
            "approved",
            limit=500.0,
            ceiling=0.0,
            date_start=self.date_to + timedelta(days=1),
        )
        wizard = self.statement_wizard(
            date_from=self.date_to + timedelta(days=1), date_to=self.date_to + timedelta(days=1)
        )
        html = self.env["ir.actions.report"]._render_qweb_html(REPORT, wizard.ids)[0].decode()
        self.assertIn("Ceiling: no ceiling", html)
        self.assertIn('<span class="oe_currency_value">500.00</span>', html)
        self.assertIn("No movement in this period.", html)
        # Opening and closing: 1,200.00.
        self.assertEqual(html.count('<span class="oe_currency_value">1,200.00</span>'), 2)

    def test_credit_line_in_force_at_the_end_of_the_period(self):
        today = fields.Date.today()
        new_line = self.create_line(
            self.env.company.partner_id,
            "approved",
            limit=1500.0,
            ceiling=0.0,
            date_start=today - timedelta(days=15),
        )
        self.assertEqual(self.company_line.state, "closed")
        # Today the new line is in force; at the end of the period too, not at its start.
        self.assertEqual(self.env.company.mlml_credit_limit, 1500.0)
        values = self.statement_wizard()._mlml_report_values()
        self.assertEqual(values["credit_line"], new_line)
        self.assertEqual(values["credit_limit"], 1500.0)
        self.assertEqual(values["balance_ceiling"], 0.0)
        self.assertTrue(values["credit_line_changed"])
        self.assertEqual(values["credit_line_at_start"], self.company_line)
        self.assertEqual(values["credit_limit_at_start"], 1000.0)
        self.assertEqual(values["balance_ceiling_at_start"], 2000.0)
        wizard = self.statement_wizard()
        html = self.env["ir.actions.report"]._render_qweb_html(REPORT, wizard.ids)[0].decode()
        self.assertIn("The credit line changed during the period. At its start:", html)
        self.assertIn('<span class="oe_currency_value">1,500.00</span>', html)
        self.assertIn("Ceiling: no ceiling", html)
        self.assertIn('<span class="oe_currency_value">1,000.00</span>', html)
        # A period that starts after the change: the new line all along.
        values = self.statement_wizard(date_from=today - timedelta(days=14))._mlml_report_values()
        self.assertEqual(values["credit_line"], new_line)
        self.assertFalse(values["credit_line_changed"])
        # A period that ends before the change: the old line, closed since.
        values = self.statement_wizard(date_to=today - timedelta(days=16))._mlml_report_values()
        self.assertEqual(values["credit_line"], self.company_line)
        self.assertEqual(values["credit_limit"], 1000.0)
        self.assertFalse(values["credit_line_changed"])

    def read_attachment(self, action):
        self.assertEqual(action["type"], "ir.actions.act_url")
        url, query = action["url"].split("?")
        self.assertEqual(query, "download=true")
        return self.env["ir.attachment"].browse(int(url.rsplit("/", 1)[1]))

    def test_csv_for_french_excel(self):
        self.env["res.lang"]._activate_lang("fr_FR")
        wizard = self.statement_wizard().with_context(lang="fr_FR")
        attachment = self.read_attachment(wizard.action_export_csv())
        rows = list(csv.reader(io.StringIO(attachment.raw.decode("utf-8-sig")), delimiter=";"))
        # Decimal commas, no thousands separator: French Excel reads numbers.
        self.assertEqual(
            [row[4:6] for row in rows[1:]],
            [
                ["", "-200,00"],
                ["-800,00", "-1000,00"],
                ["2500,00", "1500,00"],
                ["-300,00", "1200,00"],
                ["", "1200,00"],
            ],
        )
        closing = float(rows[-1][5].replace(",", "."))
        self.assertEqual(closing, 1200.0)

    def test_xlsx_export_reads_back_as_numbers_and_dates(self):
        attachment = self.read_attachment(self.statement_wizard().action_export_xlsx())
        self.assertEqual(
            attachment.name,
            f"MLML statement {self.date_from.isoformat()} to {self.date_to.isoformat()}.xlsx",
        )
        sheet = openpyxl.load_workbook(io.BytesIO(attachment.raw)).active
        rows = [list(row) for row in sheet.iter_rows(values_only=True)]
        self.assertEqual(
            rows[0], ["Date", "Partner", "Reference", "Invoice", "Amount", "Balance", "Details"]
        )
        member = self.member.display_name
        as_date = [row[0].date() for row in rows[1:]]
        self.assertEqual(
            as_date,
            [self.date_from, self.paid.date, self.received.date, self.bill_payment.date]
            + [self.date_to],
        )
        self.assertEqual(
            [row[1:] for row in rows[1:]],
            [
                [None, "Opening balance", None, None, -200.0, None],
                [member, self.paid.move_id.name, None, -800.0, -1000.0, None],
                [member, self.received.move_id.name, None, 2500.0, 1500.0, None],
                [member, self.bill_payment.move_id.name, self.bill.name, -300.0, 1200.0, None],
                [None, "Closing balance", None, None, 1200.0, None],
            ],
        )

    def test_csv_export(self):
        wizard = self.statement_wizard()
        action = wizard.action_export_csv()
        self.assertEqual(action["type"], "ir.actions.act_url")
        url, query = action["url"].split("?")
        self.assertEqual(query, "download=true")
        attachment = self.env["ir.attachment"].browse(int(url.rsplit("/", 1)[1]))
        self.assertEqual(attachment.mimetype, "text/csv")
        self.assertEqual(
            attachment.name,
            f"MLML statement {self.date_from.isoformat()} to {self.date_to.isoformat()}.csv",
        )
        rows = list(csv.reader(io.StringIO(attachment.raw.decode("utf-8-sig")), delimiter=";"))
        member = self.member.display_name
        self.assertEqual(
            rows,
            [
                ["Date", "Partner", "Reference", "Invoice", "Amount", "Balance", "Details"],
                [self.date_from.isoformat(), "", "Opening balance", "", "", "-200.00", ""],
                [
                    self.paid.date.isoformat(),
                    member,
                    self.paid.move_id.name,
                    "",
                    "-800.00",
                    "-1000.00",
                    "",
                ],
                [
                    self.received.date.isoformat(),
                    member,
                    self.received.move_id.name,
                    "",
                    "2500.00",
                    "1500.00",
                    "",
                ],
                [
                    self.bill_payment.date.isoformat(),
                    member,
                    self.bill_payment.move_id.name,
                    self.bill.name,
                    "-300.00",
                    "1200.00",
                    "",
                ],
                [self.date_to.isoformat(), "", "Closing balance", "", "", "1200.00", ""],
            ],
        )

    def test_start_after_end_is_refused(self):
        with self.assert_refused(ValidationError, "choose a start date on or before the end date"):
            self.statement_wizard(date_from=self.date_to + timedelta(days=1))

    def test_a_billing_user_prints_it(self):
        billing = self.create_user("mlml_billing_statement", "account.group_account_invoice")
        wizard = (
            self.env["mlml.statement.wizard"]
            .with_user(billing)
            .create({"date_from": self.date_from, "date_to": self.date_to})
        )
        values = wizard._mlml_report_values()
        self.assertEqual(values["closing"], 1200.0)
        self.assertEqual([row["invoice"] for row in values["rows"]], ["", "", self.bill.name])
        action = wizard.action_export_csv()
        self.assertEqual(action["type"], "ir.actions.act_url")

    def test_other_company_is_not_in_the_statement(self):
        other = self.setup_other_company(name="Autre société MLML")["company"]
        wizard = self.statement_wizard(company_id=other.id)
        values = wizard.with_company(other)._mlml_report_values()
        self.assertEqual(values["opening"], 0.0)
        self.assertEqual(values["rows"], [])
        self.assertFalse(values["credit_line"])

    def test_printed_from_the_barter_journal_and_the_settings(self):
        action = self.env.ref("mlml_barter.mlml_statement_wizard_action")
        self.assertEqual(action.res_model, "mlml.statement.wizard")
        self.assertTrue(self.journal.mlml_is_barter)
        self.assertFalse(self.company_data["default_journal_bank"].mlml_is_barter)
        for model in ("account.journal", "res.config.settings"):
            with self.subTest(model):
                arch = self.env[model].get_view(view_type="form")["arch"]
                self.assertIn(f'name="{action.id}"', arch)

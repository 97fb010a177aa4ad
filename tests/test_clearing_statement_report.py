import csv
import io
from datetime import date

from odoo.exceptions import ValidationError
from odoo.tests import tagged

from .test_clearing_ledger import ClearingHouseCommon

REPORT = "mlml_barter.report_mlml_ledger_account"


@tagged("post_install", "-at_install")
class TestClearingStatementReport(ClearingHouseCommon):
    """The statement of a member's account at the clearing house, as PDF."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.before = cls.dated(cls.alpha, cls.beta, 100, "FAC/2026/0001", date(2026, 1, 10))
        cls.received = cls.dated(cls.gamma, cls.alpha, 250.5, "FAC/2026/0002", date(2026, 2, 5))
        cls.paid = cls.dated(cls.alpha, cls.beta, 40, "FAC/2026/0003", date(2026, 2, 20))
        cls.others = cls.dated(cls.beta, cls.gamma, 10, "FAC/2026/0004", date(2026, 2, 21))
        cls.after = cls.dated(cls.alpha, cls.gamma, 5, "FAC/2026/0005", date(2026, 3, 10))
        cls.account = cls.env["mlml.ledger.account"].search(
            [("company_id", "=", cls.company.id), ("partner_id", "=", cls.alpha.id)]
        )

    @classmethod
    def dated(cls, payer, payee, amount, reference, day):
        transfer = cls.env["mlml.transfer"]._book(payer, payee, amount, reference=reference)
        # A posted transfer is never edited: the test dates it in the past by SQL.
        cls.env.cr.execute("UPDATE mlml_transfer SET date = %s WHERE id = %s", [day, transfer.id])
        transfer.invalidate_recordset(["date"])
        return transfer

    def render(self, account, date_from, date_to):
        data = {"date_from": str(date_from), "date_to": str(date_to)}
        return (
            self.env["ir.actions.report"]
            ._render_qweb_html(REPORT, account.ids, data=data)[0]
            .decode()
        )

    def amount(self, shown):
        # Odoo writes a minus sign followed by a zero-width no-break space.
        shown = shown.replace("-", "-\ufeff")
        return f'<span class="oe_currency_value">{shown}</span>'

    def test_statement_of_february(self):
        html = self.render(self.account, date(2026, 2, 1), date(2026, 2, 28))
        self.assertIn("Account statement", html)
        self.assertIn("Alpha Nettoyage", html)
        self.assertIn("CH-A", html)
        self.assertIn("02/01/2026", html)
        self.assertIn("02/28/2026", html)
        # The transfers of the period, with their numbers, counterparties, references.
        for transfer, counterparty in (
            (self.received, "Gamma Conseil"),
            (self.paid, "Beta Imprimerie"),
        ):
            self.assertIn(transfer.name, html)
            self.assertIn(transfer.reference, html)
            self.assertIn(counterparty, html)
        # Neither what came before or after the period, nor what is not the member's.
        for transfer in (self.before, self.others, self.after):
            self.assertNotIn(transfer.name, html)
            self.assertNotIn(transfer.reference, html)
        # Opening -100.00, +250.50 → 150.50, -40.00 → 110.50, closing 110.50, in this order.
        figures = ["-100.00", "250.50", "150.50", "-40.00", "110.50", "110.50"]
        position = 0
        for shown in figures:
            position = html.find(self.amount(shown), position)
            self.assertGreater(position, -1, f"{shown} missing or out of order")
            position += 1
        self.assertLess(html.find(self.received.name), html.find(self.paid.name))
        # The credit line in force.
        self.assertIn("Credit limit:", html)
        self.assertIn(self.amount("1,000.00"), html)
        self.assertIn("Ceiling:", html)
        self.assertIn(self.amount("2,000.00"), html)
        # The balance of the account today includes March: the statement does not.
        self.assertEqual(self.account.balance, 105.5)
        self.assertNotIn(self.amount("105.50"), html)

    def test_period_without_transfer_and_member_without_ceiling(self):
        gamma = self.env["mlml.ledger.account"].search(
            [("company_id", "=", self.company.id), ("partner_id", "=", self.gamma.id)]
        )
        html = self.render(gamma, date(2026, 4, 1), date(2026, 4, 30))
        self.assertIn("No transfer in this period.", html)
        self.assertIn("Ceiling: no ceiling", html)
        self.assertIn(self.amount("5,000.00"), html)
        # -250.50 + 10.00 + 5.00 before April: opening and closing -235.50.
        self.assertEqual(html.count(self.amount("-235.50")), 2)

    def exported_csv(self, action):
        """The name and the rows of the CSV file ``action`` downloads."""
        attachment = self.env["ir.attachment"].browse(
            int(action["url"].split("/")[3].split("?")[0])
        )
        text = attachment.raw.decode("utf-8-sig")
        return attachment.name, list(csv.reader(io.StringIO(text), delimiter=";"))

    def test_csv_in_french_and_named_with_its_period(self):
        wizard = self.env["mlml.ledger.statement.wizard"].create(
            {
                "account_id": self.account.id,
                "date_from": date(2026, 2, 1),
                "date_to": date(2026, 2, 28),
            }
        )
        name, rows = self.exported_csv(wizard.action_export_csv())
        self.assertEqual(name, "Statement CH-A Alpha Nettoyage 2026-02-01 to 2026-02-28.csv")
        self.assertEqual(rows[1][5], "-100.00")
        # All the transfers: from the first one to today.
        name, rows = self.exported_csv(self.account.action_export_statement_csv())
        self.assertEqual(
            name, f"Statement CH-A Alpha Nettoyage 2026-01-10 to {date.today().isoformat()}.csv"
        )
        self.assertEqual(rows[1][5], "0.00")
        # In French, decimal commas, as the member's own statement writes them.
        self.env["res.lang"]._activate_lang("fr_FR")
        _name, rows = self.exported_csv(wizard.with_context(lang="fr_FR").action_export_csv())
        self.assertEqual(
            [row[4:] for row in rows[1:]],
            [["", "-100,00"], ["250,50", "150,50"], ["-40,00", "110,50"], ["", "110,50"]],
        )

    def test_in_french_for_a_french_member(self):
        self.env["res.lang"]._activate_lang("fr_FR")
        self.alpha.lang = "fr_FR"
        html = self.render(self.account, date(2026, 2, 1), date(2026, 2, 28))
        self.assertIn("01/02/2026", html)
        self.assertIn("28/02/2026", html)
        for shown in ("-100,00", "250,50", "150,50", "-40,00", "110,50"):
            self.assertIn(self.amount(shown), html)

    def test_printed_from_the_account_form(self):
        account = self.account.with_context(discard_logo_check=True)
        action = account.action_print_statement(date(2026, 2, 1), date(2026, 2, 28))
        self.assertEqual(action["type"], "ir.actions.report")
        self.assertEqual(action["report_name"], REPORT)
        self.assertEqual(action["data"], {"date_from": "2026-02-01", "date_to": "2026-02-28"})
        today = date.today()
        default = account.action_print_statement()["data"]
        self.assertEqual(default["date_from"], f"{today.year}-01-01")
        arch = self.env.ref("mlml_barter.mlml_ledger_account_view_form").arch
        self.assertIn('name="action_statement_wizard"', arch)

    def test_period_chosen_in_the_wizard(self):
        account = self.account.with_context(discard_logo_check=True)
        opened = account.action_statement_wizard()
        wizard = (
            self.env[opened["res_model"]]
            .with_context(**opened["context"], discard_logo_check=True)
            .create({"date_from": date(2026, 2, 1), "date_to": date(2026, 2, 28)})
        )
        self.assertEqual(wizard.account_id, self.account)
        action = wizard.action_print_pdf()
        self.assertEqual(action["data"], {"date_from": "2026-02-01", "date_to": "2026-02-28"})
        exported = wizard.action_export_csv()
        attachment = self.env["ir.attachment"].browse(
            int(exported["url"].split("/")[3].split("?")[0])
        )
        lines = attachment.raw.decode("utf-8-sig").splitlines()
        # The transfers of February only, from the balance January left.
        self.assertEqual(len(lines), 2 + 2 + 1, lines)
        self.assertIn("-100.00", lines[1])
        self.assertIn("110.50", lines[-1])
        today = date.today()
        self.assertEqual(
            self.env[opened["res_model"]].with_context(**opened["context"]).new({}).date_from,
            date(today.year, 1, 1),
        )
        with self.assertRaises(ValidationError):
            wizard.date_to = date(2026, 1, 1)

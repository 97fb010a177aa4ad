import io

import xlsxwriter

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError

from ..mlml_barter.credit_lines import CLOSED, KEPT
from ..mlml_barter.statement import (
    DETAILED_COLUMNS,
    LineTerm,
    Movement,
    build_statement,
    line_changed,
    line_in_force,
)


class MlmlStatementWizard(models.TransientModel):
    """The statement of the company's barter account for a period, as PDF or CSV."""

    _name = "mlml.statement.wizard"
    _description = "Barter Account Statement"

    company_id = fields.Many2one(
        comodel_name="res.company",
        required=True,
        default=lambda self: self.env.company,
        domain=lambda self: [("id", "in", self.env.companies.ids)],
    )
    currency_id = fields.Many2one(related="company_id.mlml_currency_id")
    date_from = fields.Date(
        string="From",
        required=True,
        default=lambda self: fields.Date.context_today(self).replace(day=1),
    )
    date_to = fields.Date(string="To", required=True, default=fields.Date.context_today)

    @api.constrains("date_from", "date_to")
    def _check_dates(self):
        for wizard in self:
            self.env["mlml.statement"]._check_period(wizard.date_from, wizard.date_to)

    @api.constrains("company_id")
    def _check_company_allowed(self):
        """A user prints the statement of the companies they work for, no other."""
        for wizard in self:
            if not self.env.su and wizard.company_id not in self.env.user.company_ids:
                raise AccessError(
                    self.env._(
                        "You do not work for %(company)s: you can only print the statement "
                        "of your own companies.",
                        company=wizard.company_id.sudo().name,
                    )
                )

    def action_print_pdf(self):
        self.ensure_one()
        self._mlml_check_currency()
        return self.env.ref("mlml_barter.mlml_statement_report").report_action(self)

    def action_export_csv(self):
        self.ensure_one()
        return self.env["mlml.statement"]._csv_download(
            self._mlml_statement(),
            self.currency_id,
            self._mlml_file_name(),
            self,
            columns=DETAILED_COLUMNS,
        )

    def action_export_xlsx(self):
        """The statement as a spreadsheet: amounts as numbers, dates as dates."""
        self.ensure_one()
        statement = self._mlml_statement()
        labels = self.env["mlml.statement"]._labels()
        out = io.BytesIO()
        book = xlsxwriter.Workbook(out, {"in_memory": True})
        sheet = book.add_worksheet(self.currency_id.symbol[:31])
        bold = book.add_format({"bold": True})
        date_format = book.add_format({"num_format": "yyyy-mm-dd"})
        decimals = max(self.currency_id.decimal_places, 0)
        amount_format = book.add_format(
            {"num_format": "#,##0" + ("." + "0" * decimals if decimals else "")}
        )
        sheet.write_row(0, 0, [labels[column] for column in DETAILED_COLUMNS], bold)
        rows = [(statement.date_from, "", labels["opening"], "", None, statement.opening, "")]
        rows += [
            (
                row.date,
                row.partner,
                row.reference,
                row.invoice,
                row.amount,
                row.balance,
                row.details,
            )
            for row in statement.rows
        ]
        rows.append((statement.date_to, "", labels["closing"], "", None, statement.closing, ""))
        for index, (day, partner, reference, invoice, amount, balance, details) in enumerate(
            rows, 1
        ):
            sheet.write_datetime(index, 0, fields.Datetime.to_datetime(day), date_format)
            # write_string: a partner named "=…" stays a name, never a formula.
            for column, text in ((1, partner), (2, reference), (3, invoice), (6, details)):
                if text:
                    sheet.write_string(index, column, text)
            if amount is not None:
                sheet.write_number(index, 4, float(amount), amount_format)
            sheet.write_number(index, 5, float(balance), amount_format)
        sheet.set_column(0, 0, 12)
        sheet.set_column(1, 3, 28)
        sheet.set_column(4, 5, 14)
        sheet.set_column(6, 6, 40)
        book.close()
        return self.env["mlml.statement"]._download(
            out.getvalue(),
            f"{self._mlml_file_name()}.xlsx",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            self,
        )

    def _mlml_file_name(self):
        return self.env._(
            "%(currency)s statement %(date_from)s to %(date_to)s",
            currency=self.currency_id.symbol,
            date_from=self.date_from.isoformat(),
            date_to=self.date_to.isoformat(),
        )

    def _mlml_check_currency(self):
        self._check_company_allowed()
        if not self.currency_id:
            raise UserError(
                self.env._(
                    "%(company)s has no barter currency: choose it in Invoicing › "
                    "Configuration › Settings, block Barter Currency, then print the "
                    "statement.",
                    company=self.company_id.name,
                )
            )

    def _mlml_domain(self):
        """The posted journal items of the company on its barter accounts."""
        return self.env["mlml.balance"]._barter_line_domain(self.company_id)

    def _mlml_statement(self):
        """The statement of the period: one sum before it, its journal items in order."""
        self.ensure_one()
        self._mlml_check_currency()
        Line = self.env["account.move.line"]
        domain = self._mlml_domain()
        [(opening,)] = Line._read_group(
            domain + [("date", "<", self.date_from)], aggregates=["amount_currency:sum"]
        )
        lines = Line.search(
            domain + [("date", ">=", self.date_from), ("date", "<=", self.date_to)],
            order="date, id",
        )
        invoices = self._mlml_linked_invoices(lines)
        movements = [
            Movement(
                date=line.date,
                partner=line.partner_id.display_name or "",
                reference=line.move_name or "",
                invoice=", ".join(invoices[line].mapped("name")),
                amount=line.amount_currency,
                details=self._mlml_details(line.move_id),
            )
            for line in lines
        ]
        return build_statement(
            opening or 0.0,
            movements,
            date_from=self.date_from,
            date_to=self.date_to,
            rounding=self.currency_id.rounding,
        )

    @api.model
    def _mlml_details(self, move):
        """What the clearing house says of the entry ``move``: the number of the
        transfer it books and, for a reversal, the transfer it reverses and why."""
        statement_line = move.statement_line_id
        number = statement_line.mlml_transfer_number or move.origin_payment_id.mlml_transfer_number
        if not number:
            return ""
        details = self.env._("Transfer %(number)s", number=number)
        if statement_line.mlml_reversal_of:
            details = "; ".join(
                [
                    details,
                    self.env["account.bank.statement.line"]._mlml_reversal_text(
                        statement_line.mlml_reversal_of, statement_line.mlml_reversal_reason
                    ),
                ]
            )
        return details

    @api.model
    def _mlml_linked_invoices(self, lines):
        """For each journal item, the invoices its entry settles (reconciled with)."""
        result = {}
        for line in lines:
            entry_lines = line.move_id.line_ids
            matched = (
                entry_lines.matched_debit_ids.debit_move_id
                | entry_lines.matched_credit_ids.credit_move_id
            )
            result[line] = (
                matched.move_id.filtered(lambda move: move.is_invoice(include_receipts=True))
                - line.move_id
            )
        return result

    def _mlml_credit_line_terms(self):
        """When each of the company's own credit lines was in force.

        An approved line is in force from its start date; a closed one until
        it was closed. A decided line no longer changes (its figures and dates
        are locked), so its last change is its closing.
        """
        company = self.company_id
        lines = (
            self.env["mlml.credit.line"]
            .sudo()
            .search(
                [
                    ("partner_id", "=", company.partner_id.id),
                    ("company_id", "=", company.id),
                    ("state", "in", list(KEPT)),
                ],
                order="date_start, id",
            )
        )
        return [
            LineTerm(
                line=line,
                date_start=line.date_start,
                date_end=line.write_date.date() if line.state == CLOSED else None,
            )
            for line in lines
        ]

    def _mlml_report_values(self):
        """What the PDF shows: the statement in floats, and the credit line in force
        at the end of the period (and at its start, when it changed in between)."""
        self.ensure_one()
        statement = self._mlml_statement()
        terms = self._mlml_credit_line_terms()
        at_end = line_in_force(terms, self.date_to)
        at_start = line_in_force(terms, self.date_from)
        line = at_end.line.sudo(False) if at_end else self.env["mlml.credit.line"]
        line_at_start = at_start.line.sudo(False) if at_start else self.env["mlml.credit.line"]
        return {
            "title": self._mlml_text(self.env._("MLML account statement")),
            "currency": self.currency_id,
            "opening": float(statement.opening),
            "closing": float(statement.closing),
            "rows": [
                {
                    "date": row.date,
                    "partner": row.partner,
                    "reference": row.reference,
                    "invoice": row.invoice,
                    "amount": float(row.amount),
                    "balance": float(row.balance),
                    "details": row.details,
                }
                for row in statement.rows
            ],
            "credit_line": line,
            "credit_limit": line.sudo().credit_limit,
            "balance_ceiling": line.sudo().balance_ceiling,
            "credit_line_changed": line_changed(terms, self.date_from, self.date_to),
            "credit_line_at_start": line_at_start,
            "credit_limit_at_start": line_at_start.sudo().credit_limit,
            "balance_ceiling_at_start": line_at_start.sudo().balance_ceiling,
        }

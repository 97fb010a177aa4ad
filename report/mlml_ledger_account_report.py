from odoo import api, fields, models


class MlmlLedgerAccountReport(models.AbstractModel):
    _name = "report.mlml_barter.report_mlml_ledger_account"
    _description = "Clearing-House Account Statement Report"

    @api.model
    def _get_report_values(self, docids, data=None):
        data = data or {}
        today = fields.Date.context_today(self)
        date_from = fields.Date.to_date(data.get("date_from")) or today.replace(month=1, day=1)
        date_to = fields.Date.to_date(data.get("date_to")) or today
        docs = self.env["mlml.ledger.account"].browse(docids)
        return {
            "doc_ids": docids,
            "doc_model": "mlml.ledger.account",
            "docs": docs,
            "date_from": date_from,
            "date_to": date_to,
            "statements": {
                doc.id: self._values(doc._statement(date_from, date_to)) for doc in docs
            },
        }

    @api.model
    def _values(self, statement):
        """The statement with its amounts as numbers the monetary widget formats."""
        return {
            "opening": float(statement.opening),
            "closing": float(statement.closing),
            "rows": [
                {
                    "date": row.date,
                    "number": row.reference,
                    "counterparty": row.partner,
                    "reference": row.invoice,
                    "amount": float(row.amount),
                    "balance": float(row.balance),
                }
                for row in statement.rows
            ],
        }

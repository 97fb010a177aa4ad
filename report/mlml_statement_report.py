from odoo import api, models


class MlmlStatementReport(models.AbstractModel):
    _name = "report.mlml_barter.report_mlml_statement"
    _description = "Barter Account Statement Report"

    @api.model
    def _get_report_values(self, docids, data=None):
        docs = self.env["mlml.statement.wizard"].browse(docids)
        return {
            "doc_ids": docids,
            "doc_model": "mlml.statement.wizard",
            "docs": docs,
            "statements": {doc.id: doc._mlml_report_values() for doc in docs},
        }

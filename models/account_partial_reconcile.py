from odoo import api, models


class AccountPartialReconcile(models.Model):
    _inherit = "account.partial.reconcile"

    @api.model_create_multi
    def create(self, vals_list):
        """Every matching goes through here (Register Payment, the outstanding
        payments of an invoice, the reconciliation of journal items): barter
        payments pay the MLML part of an invoice and no more."""
        partials = super().create(vals_list)
        barter = partials.filtered(
            lambda p: any((p.debit_move_id | p.credit_move_id).currency_id.mapped("mlml_is_barter"))
        )
        lines = barter.debit_move_id | barter.credit_move_id
        invoices = lines.move_id.filtered(lambda move: move.is_invoice(include_receipts=False))
        if invoices:
            invoices.line_ids.invalidate_recordset(["matched_debit_ids", "matched_credit_ids"])
            invoices._mlml_check_barter_settlement(partials)
        return partials

from odoo import fields, models
from odoo.exceptions import UserError
from odoo.tools.misc import format_datetime


class AccountJournal(models.Model):
    _inherit = "account.journal"

    mlml_is_barter = fields.Boolean(string="Barter Journal", related="currency_id.mlml_is_barter")

    def _default_inbound_payment_methods(self):
        if self.currency_id.mlml_is_barter:
            return self.env.ref("mlml_barter.account_payment_method_mlml_in")
        return super()._default_inbound_payment_methods()

    def _default_outbound_payment_methods(self):
        if self.currency_id.mlml_is_barter:
            return self.env.ref("mlml_barter.account_payment_method_mlml_out")
        return super()._default_outbound_payment_methods()

    def write(self, vals):
        if "currency_id" in vals:
            new_currency = self.env["res.currency"].browse(vals["currency_id"])
            for journal in self:
                if (
                    journal.currency_id.mlml_is_barter
                    and journal.currency_id != new_currency
                    and self.env["account.move.line"].search_count(
                        [("journal_id", "=", journal.id)], limit=1
                    )
                ):
                    raise UserError(
                        self.env._(
                            "The barter journal %(journal)s already holds entries in "
                            "%(currency)s: its currency can no longer change. Create "
                            "another journal for %(new)s.",
                            journal=journal.display_name,
                            currency=journal.currency_id.name,
                            new=new_currency.name or self.env._("the company's currency"),
                        )
                    )
        result = super().write(vals)
        if {"currency_id", "default_account_id"} & vals.keys():
            (
                self.inbound_payment_method_line_ids + self.outbound_payment_method_line_ids
            )._mlml_use_the_barter_account()
        return result

    def action_mlml_statement(self):
        """The statement of the barter account this journal keeps."""
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "mlml_barter.mlml_statement_wizard_action"
        )
        action["context"] = {"default_company_id": self.company_id.id}
        return action

    def action_mlml_synchronize(self):
        """Book what the clearing house moved since the last synchronisation."""
        self.ensure_one()
        company = self.company_id
        if not company._mlml_connected():
            raise UserError(
                self.env._(
                    "%(company)s is not connected to a clearing house: enter its URL and "
                    "API key in the settings (block Barter Currency).",
                    company=company.name,
                )
            )
        ok = company.mlml_synchronize()
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "success" if ok else "warning",
                "sticky": not ok,
                "title": self.env._("Synchronisation"),
                "message": company.mlml_sync_message,
                "next": {"type": "ir.actions.client", "tag": "soft_reload"},
            },
        }

    def _fill_bank_cash_dashboard_data(self, dashboard_data):
        result = super()._fill_bank_cash_dashboard_data(dashboard_data)
        for journal in self.filtered(lambda j: j == j.company_id.mlml_journal_id):
            company = journal.company_id
            currency = journal.currency_id
            dashboard_data[journal.id].update(
                {
                    "mlml_is_barter": True,
                    "mlml_balance": currency.format(company.mlml_balance),
                    "mlml_credit_limit": currency.format(company.mlml_credit_limit),
                    "mlml_credit_read": company._mlml_credit_from_ledger()
                    and format_datetime(
                        self.env, company.sudo().mlml_ledger_read_date, dt_format="short"
                    ),
                    "mlml_available_credit": currency.format(company.mlml_available_credit),
                    "mlml_balance_ceiling": company.mlml_balance_ceiling
                    and currency.format(company.mlml_balance_ceiling),
                    "mlml_ceiling_room": company.mlml_balance_ceiling
                    and currency.format(company.mlml_ceiling_room),
                    "mlml_connected": company._mlml_connected(),
                    "mlml_sync_date": company.mlml_sync_date
                    and format_datetime(self.env, company.mlml_sync_date, dt_format="short"),
                    "mlml_sync_message": company.mlml_sync_message or "",
                    "mlml_sync_failed": company.mlml_sync_failed,
                    "mlml_sync_difference": not currency.is_zero(company.mlml_sync_difference)
                    and currency.format(company.mlml_sync_difference),
                }
            )
        return result

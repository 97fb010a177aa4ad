"""What the clearing house booked stays in the member's books as it booked it.

The set-off entries of a compensation and the transfers the clearing house
made (the payments it accepted, the transfers the synchronisation brought
into the barter journal) are the clearing house's decisions: they are not
reset to draft, cancelled, nor deleted here, whatever method or context a
client sends. The clearing house reverses them; the reversal comes back by
the synchronisation, which books it as a new entry. The add-on's own code
passes with ``LEDGER_DECIDED`` (a Python object no JSON-RPC caller can send).

The synchronisation then checks each document the clearing house cleared or
paid, and lists the ones whose books differ from it.
"""

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools.misc import formatLang

from odoo.addons.base.models.ir_model import MODULE_UNINSTALL_FLAG

from .account_payment import SENDING
from .mlml_bounds_grant import ledger_decided
from .mlml_connection import ledger_read

# What a synchronised transfer's statement line keeps as the clearing house booked it.
MLML_TRANSFER_FIELDS = (
    "amount",
    "amount_currency",
    "foreign_currency_id",
    "date",
    "journal_id",
    "partner_id",
    "company_id",
)


def _unlocked(env):
    """Does ``env`` write what the clearing house decided (or uninstall the add-on)?"""
    uninstalling = env.context.get(MODULE_UNINSTALL_FLAG) and env.is_system()
    return ledger_decided(env.context) or bool(uninstalling)


class AccountMove(models.Model):
    _inherit = "account.move"

    def _mlml_booked_at_ledger(self):
        """The entries of ``self`` that book what the clearing house booked."""
        return self.filtered(
            lambda move: (
                move.mlml_compensation_ref
                or move.sudo().statement_line_id.mlml_transfer_ref
                or move.sudo().origin_payment_id.mlml_transfer_ref
            )
        )

    def _mlml_ledger_lock_text(self):
        """Why this entry stays as the clearing house booked it, and what to do."""
        self.ensure_one()
        if self.mlml_compensation_ref:
            return self.env._(
                "%(entry)s books compensation %(run)s of the clearing house, which cleared "
                "these invoices and bills in its ledger: it cannot be reset to draft, "
                "cancelled, reversed nor deleted here. Ask the clearing house for a reversal; "
                "it comes into the books at the next synchronisation.",
                entry=self.display_name,
                run=self.mlml_compensation_number or self.mlml_compensation_ref,
            )
        number = (
            self.sudo().statement_line_id.mlml_transfer_number
            or self.sudo().origin_payment_id.mlml_transfer_number
        )
        return self.env._(
            "%(entry)s books transfer %(number)s of the clearing house: it cannot be reset to "
            "draft, cancelled, reversed nor deleted here. Ask the clearing house to reverse it; "
            "the reversal comes into the barter journal at the next synchronisation.",
            entry=self.display_name,
            number=number,
        )

    def _mlml_check_ledger_lock(self, leaving_posted=True):
        """Refuse to undo what the clearing house booked (``leaving_posted``:
        only the entries that are posted now)."""
        if _unlocked(self.env):
            return
        moves = self.filtered(lambda m: m.state == "posted") if leaving_posted else self
        locked = moves._mlml_booked_at_ledger()
        if locked:
            raise UserError(locked[0]._mlml_ledger_lock_text())

    mlml_booked_at_ledger = fields.Boolean(
        string="Booked by the Clearing House",
        compute="_compute_mlml_booked_at_ledger",
        help="A set-off entry or a transfer of the clearing house: it stays as booked there.",
    )

    @api.depends("mlml_compensation_ref", "statement_line_id", "origin_payment_id")
    def _compute_mlml_booked_at_ledger(self):
        booked = self._mlml_booked_at_ledger()
        for move in self:
            move.mlml_booked_at_ledger = move in booked

    @api.depends("mlml_compensation_ref")
    def _compute_show_reset_to_draft_button(self):
        result = super()._compute_show_reset_to_draft_button()
        for move in self._mlml_booked_at_ledger():
            move.show_reset_to_draft_button = False
        return result

    def button_draft(self):
        self._mlml_check_ledger_lock()
        return super().button_draft()

    def button_cancel(self):
        self._mlml_check_ledger_lock()
        return super().button_cancel()

    def _reverse_moves(self, default_values_list=None, cancel=False):
        self._mlml_check_ledger_lock()
        return super()._reverse_moves(default_values_list=default_values_list, cancel=cancel)

    def write(self, vals):
        if "state" in vals and vals["state"] != "posted":
            self._mlml_check_ledger_lock()
        return super().write(vals)

    def unlink(self):
        self._mlml_check_ledger_lock(leaving_posted=False)
        return super().unlink()


class AccountMoveLine(models.Model):
    _inherit = "account.move.line"

    mlml_set_off_move_id = fields.Many2one(
        comodel_name="account.move",
        string="Set Off Document",
        readonly=True,
        copy=False,
        index="btree_not_null",
        help="On a line of a set-off entry: the invoice or bill the compensation cleared.",
    )


class AccountPayment(models.Model):
    _inherit = "account.payment"

    def write(self, vals):
        if (
            "state" in vals
            and self.env.context.get("mlml_sending") is not SENDING
            and not _unlocked(self.env)
        ):
            for payment in self.filtered(lambda p: p.mlml_transfer_ref):
                if payment.state != vals["state"]:
                    raise UserError(payment.move_id._mlml_ledger_lock_text())
        return super().write(vals)

    def unlink(self):
        # Before the payment's own refusal, which offers to cancel it instead.
        self.move_id.filtered(
            lambda m: m.origin_payment_id.mlml_transfer_ref
        )._mlml_check_ledger_lock()
        return super().unlink()


class AccountBankStatementLine(models.Model):
    _inherit = "account.bank.statement.line"

    def write(self, vals):
        if set(MLML_TRANSFER_FIELDS) & vals.keys() and not _unlocked(self.env):
            for line in self.filtered(lambda st_line: st_line.mlml_transfer_ref):
                if any(
                    line._mlml_changes(name, vals[name])
                    for name in MLML_TRANSFER_FIELDS
                    if name in vals
                ):
                    raise UserError(
                        self.env._(
                            "%(line)s books transfer %(number)s as the clearing house made "
                            "it: its amount, date, partner and journal are not changed here. "
                            "Ask the clearing house to reverse it; the reversal comes into "
                            "the barter journal at the next synchronisation.",
                            line=line.display_name,
                            number=line.mlml_transfer_number,
                        )
                    )
        return super().write(vals)

    def unlink(self):
        self.move_id._mlml_check_ledger_lock(leaving_posted=False)
        return super().unlink()

    def _mlml_changes(self, name, value):
        field = self._fields[name]
        return field.convert_to_record(field.convert_to_cache(value, self), self) != self[name]


class MlmlConnection(models.AbstractModel):
    _inherit = "mlml.connection"

    @api.model
    def _compare_balance(self, company, account, booked):
        """The balance, then each document the clearing house cleared or paid."""
        ok = super()._compare_balance(company, account, booked)
        differences = self._ledger_differences(company)
        ledger_read(company).mlml_sync_differences = [
            {"id": move.id, "name": move.display_name, "reason": reason}
            for move, reason in differences
        ] or False
        if not differences:
            return ok
        ledger_read(company).write(
            {
                "mlml_sync_failed": True,
                "mlml_sync_message": " ".join(
                    filter(
                        None,
                        [
                            company.mlml_sync_message,
                            self.env._(
                                "%(count)s document(s) differ from what the clearing house "
                                "booked: %(documents)s.",
                                count=len(differences),
                                documents=", ".join(move.display_name for move, _ in differences),
                            ),
                        ],
                    )
                ),
            }
        )
        return False

    @api.model
    def _ledger_differences(self, company):
        """The documents whose books differ from what the clearing house booked:
        [(move, why)], the set-off entries and the documents they cleared, the
        synchronised transfers and the payments it made."""
        company.ensure_one()
        Move = self.env["account.move"].sudo()
        currency = company.currency_id
        differences = []
        states = dict(Move._fields["state"]._description_selection(self.env))
        unposted = Move.search(
            [
                ("company_id", "=", company.id),
                ("state", "!=", "posted"),
                "|",
                "|",
                ("mlml_compensation_ref", "!=", False),
                ("statement_line_id.mlml_transfer_ref", "!=", False),
                ("origin_payment_id.mlml_transfer_ref", "!=", False),
            ],
            order="date, id",
        )
        for move in unposted:
            differences.append(
                (
                    move,
                    self.env._(
                        "%(state)s in the books, booked by the clearing house: post it again.",
                        state=states[move.state],
                    ),
                )
            )
        lines = (
            self.env["account.move.line"]
            .sudo()
            .search(
                [
                    ("company_id", "=", company.id),
                    ("mlml_set_off_move_id", "!=", False),
                    ("move_id.state", "=", "posted"),
                ]
            )
        )
        for line in lines:
            document = line.mlml_set_off_move_id
            if document.state != "posted":
                differences.append(
                    (
                        document,
                        self.env._(
                            "%(state)s in the books, while compensation %(run)s cleared it.",
                            state=states[document.state],
                            run=line.move_id.mlml_compensation_number,
                        ),
                    )
                )
            elif not line.reconciled and not currency.is_zero(document.amount_residual):
                differences.append(
                    (
                        document,
                        self.env._(
                            "Open again (%(residual)s), while compensation %(run)s set off "
                            "%(amount)s of it: match it with the set-off entry %(entry)s.",
                            residual=formatLang(
                                self.env, document.amount_residual, currency_obj=currency
                            ),
                            run=line.move_id.mlml_compensation_number,
                            amount=formatLang(self.env, abs(line.balance), currency_obj=currency),
                            entry=line.move_id.name,
                        ),
                    )
                )
        return differences


class ResCompany(models.Model):
    _inherit = "res.company"

    mlml_sync_differences = fields.Json(
        string="Differences with the Clearing House",
        copy=False,
        groups="mlml_barter.group_mlml_user",
        help="The documents whose books differed from the clearing house's at the last "
        "synchronisation, and why.",
    )


class AccountJournal(models.Model):
    _inherit = "account.journal"

    def _fill_bank_cash_dashboard_data(self, dashboard_data):
        result = super()._fill_bank_cash_dashboard_data(dashboard_data)
        for journal in self.filtered(lambda j: j == j.company_id.mlml_journal_id):
            dashboard_data[journal.id]["mlml_differences"] = (
                journal.company_id.sudo().mlml_sync_differences or []
            )
        return result

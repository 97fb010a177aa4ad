"""The MLML account as an accountant reads it in Invoicing › MLML.

``mlml.account`` shows the company's account at the clearing house (balance,
credit line, available, last synchronisation and what differs), the button to
synchronise now, and the transfers the synchronisation booked, each with the
invoice or bill it paid or why it waits to be matched. Odoo Community has no
bank reconciliation screen: ``mlml.transfer.match`` matches a waiting transfer
with the invoice or bill it pays.
"""

from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import html2plaintext
from odoo.tools.misc import formatLang

from .account_bank_statement_line import MLML_DOCUMENTS


class MlmlAccount(models.TransientModel):
    """The company's MLML account at the clearing house (see the module)."""

    _name = "mlml.account"
    _description = "MLML Account"

    company_id = fields.Many2one(
        comodel_name="res.company",
        required=True,
        readonly=True,
        default=lambda self: self.env.company,
    )
    currency_id = fields.Many2one(related="company_id.mlml_currency_id")
    connected = fields.Boolean(compute="_compute_account")
    balance = fields.Monetary(compute="_compute_account", currency_field="currency_id")
    credit_limit = fields.Monetary(
        string="Credit Line", compute="_compute_account", currency_field="currency_id"
    )
    available = fields.Monetary(compute="_compute_account", currency_field="currency_id")
    from_ledger = fields.Boolean(compute="_compute_account")
    read_date = fields.Datetime(string="Read on", compute="_compute_account")
    sync_date = fields.Datetime(string="Last Synchronisation", compute="_compute_account")
    sync_message = fields.Char(string="Synchronisation Result", compute="_compute_account")
    sync_failed = fields.Boolean(compute="_compute_account")
    differences = fields.Html(
        string="Differences with the Clearing House", compute="_compute_account", sanitize=False
    )
    transfer_ids = fields.Many2many(
        comodel_name="account.bank.statement.line",
        string="Synchronised Transfers",
        compute="_compute_account",
    )

    @api.depends("company_id")
    def _compute_display_name(self):
        for account in self:
            account.display_name = self.env._(
                "MLML Account of %(company)s", company=account.company_id.name
            )

    @api.model
    def _figures(self, company):
        """The balance, credit line and available credit the screen shows: the one
        place they are read. A connected company that read its account shows the
        clearing house's figures (as of ``read_date``); another one its books'."""
        company.ensure_one()
        if company.mlml_credit_from_ledger:
            ledger = company.sudo()
            return {
                "from_ledger": True,
                "read_date": ledger.mlml_ledger_read_date,
                "balance": ledger.mlml_ledger_balance,
                "credit_limit": company.mlml_credit_limit,
                "available": company.mlml_credit_limit + ledger.mlml_ledger_balance,
            }
        return {
            "from_ledger": False,
            "read_date": False,
            "balance": company.mlml_balance,
            "credit_limit": company.mlml_credit_limit,
            "available": company.mlml_available_credit,
        }

    @api.depends("company_id")
    def _compute_account(self):
        Line = self.env["account.bank.statement.line"]
        for account in self:
            company = account.company_id
            synced = company.sudo()
            account.update(self._figures(company))
            account.connected = company._mlml_connected()
            account.sync_date = synced.mlml_sync_date
            account.sync_message = synced.mlml_sync_message
            account.sync_failed = synced.mlml_sync_failed
            items = synced.mlml_sync_differences or []
            account.differences = items and Markup("<ul>%s</ul>") % Markup("").join(
                Markup('<li><a href="/odoo/account.move/%s">%s</a>: %s</li>')
                % (item["id"], item["name"], item["reason"])
                for item in items
            )
            account.transfer_ids = Line.search(
                [("company_id", "=", company.id), ("mlml_transfer_ref", "!=", False)],
                order="date desc, id desc",
            )

    @api.model
    def action_open(self):
        """The MLML account of the current company (the menu's action)."""
        account = self.create({"company_id": self.env.company.id})
        return account._action_show()

    def _action_show(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("MLML Account"),
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "current",
        }

    def action_synchronize(self):
        """Synchronise now, then show the account again with the result."""
        self.ensure_one()
        journal = self.company_id.mlml_journal_id
        if not journal:
            raise UserError(
                self.env._(
                    "%(company)s has no barter journal yet: choose its barter currency in "
                    "the settings first.",
                    company=self.company_id.name,
                )
            )
        action = journal.action_mlml_synchronize()
        action["params"]["next"] = self._action_show()
        return action


class AccountBankStatementLine(models.Model):
    _inherit = "account.bank.statement.line"

    mlml_reference = fields.Char(string="Transfer Reference", compute="_compute_mlml_match")
    mlml_paid_move_id = fields.Many2one(
        comodel_name="account.move", string="Document Paid", compute="_compute_mlml_match"
    )
    mlml_match_note = fields.Char(string="To Match", compute="_compute_mlml_match")

    @api.depends("payment_ref", "mlml_transfer_number", "narration", "is_reconciled")
    def _compute_mlml_match(self):
        for line in self:
            reference = line.payment_ref or ""
            number = line.mlml_transfer_number or ""
            if number and reference.startswith(number):
                reference = reference[len(number) :]
            line.mlml_reference = reference.strip() or False
            others = line.move_id.line_ids.filtered(
                lambda aml, line=line: aml.account_id != line.journal_id.default_account_id
            )
            paid = others.matched_debit_ids.debit_move_id | others.matched_credit_ids.credit_move_id
            paid = (paid - others).move_id.filtered(lambda m: m.is_invoice())
            line.mlml_paid_move_id = paid[:1]
            if paid:
                line.mlml_match_note = False
            elif line.is_reconciled:
                line.mlml_match_note = html2plaintext(line.narration or "").strip() or False
            else:
                note = html2plaintext(line.narration or "").strip()
                line.mlml_match_note = (
                    self.env._("To match: %(note)s", note=note) if note else self.env._("To match")
                )

    def action_mlml_match(self):
        """Choose the invoice or bill this transfer pays."""
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Match transfer %(number)s", number=self.mlml_transfer_number),
            "res_model": "mlml.transfer.match",
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "new",
            "context": {"default_statement_line_id": self.id},
        }


class MlmlTransferMatch(models.TransientModel):
    """Match a synchronised transfer with the invoice or bill it pays."""

    _name = "mlml.transfer.match"
    _description = "Match an MLML Transfer"

    statement_line_id = fields.Many2one(
        comodel_name="account.bank.statement.line",
        string="Transfer",
        required=True,
        readonly=True,
        domain="[('mlml_transfer_ref', '!=', False)]",
    )
    transfer_number = fields.Char(related="statement_line_id.mlml_transfer_number")
    partner_id = fields.Many2one(related="statement_line_id.partner_id")
    amount = fields.Monetary(related="statement_line_id.amount")
    currency_id = fields.Many2one(related="statement_line_id.currency_id")
    note = fields.Char(string="Why It Waits", related="statement_line_id.mlml_match_note")
    candidate_ids = fields.Many2many(comodel_name="account.move", compute="_compute_candidate_ids")
    move_id = fields.Many2one(
        comodel_name="account.move",
        string="Invoice or Bill Paid",
        required=True,
        domain="[('id', 'in', candidate_ids)]",
    )

    @api.depends("statement_line_id")
    def _compute_candidate_ids(self):
        for wizard in self:
            line = wizard.statement_line_id
            wizard.candidate_ids = self.env["account.move"].search(
                [
                    ("company_id", "=", line.company_id.id),
                    ("state", "=", "posted"),
                    ("move_type", "in", MLML_DOCUMENTS["in" if line.amount > 0 else "out"]),
                    ("commercial_partner_id", "=", line.partner_id.commercial_partner_id.id),
                    ("payment_state", "in", ("not_paid", "partial")),
                ]
            )

    def action_match(self):
        """Pay the chosen invoice or bill with the transfer: its counterpart moves
        to the document's receivable or payable and is reconciled with it."""
        self.ensure_one()
        line, move = self.statement_line_id, self.move_id
        self._check_match(line, move)
        terms = move.line_ids.filtered(
            lambda aml: aml.display_type == "payment_term" and not aml.reconciled
        )
        account = terms[:1].account_id
        # Odoo Community lets its billing users reconcile, not write statement lines:
        # the checks above are the user's, the rewrite of the line's counterpart the
        # add-on's own, as Odoo's reconciliation does it.
        line = line.sudo()
        line.with_context(force_delete=True, skip_readonly_check=True).write(
            {
                "line_ids": [fields.Command.clear()]
                + [
                    fields.Command.create(vals)
                    for vals in line._prepare_move_line_default_vals(
                        counterpart_account_id=account.id
                    )
                ]
            }
        )
        counterpart = line.move_id.line_ids.filtered(lambda aml: aml.account_id == account)
        (counterpart | terms.filtered(lambda aml: aml.account_id == account)).reconcile()
        text = self.env._(
            "Matched by hand with transfer %(number)s of the clearing house (%(amount)s).",
            number=line.mlml_transfer_number,
            amount=formatLang(self.env, abs(line.amount), currency_obj=line.currency_id),
        )
        move.message_post(body=text)
        line.move_id.message_post(
            body=self.env._("Matched by hand with %(move)s.", move=move.display_name),
            author_id=self.env.user.partner_id.id,
        )
        # A payment request on the document whose MLML part the transfer paid is closed.
        self.env["mlml.member.request"]._close_paid(move)
        return {"type": "ir.actions.act_window_close"}

    def _check_match(self, line, move):
        """Refuse a document the transfer does not pay, saying why."""
        currency = line.currency_id
        number = line.mlml_transfer_number

        def fmt(amount):
            return formatLang(self.env, amount, currency_obj=currency)

        if not line.mlml_transfer_ref:
            raise UserError(self.env._("Only transfers of the clearing house are matched here."))
        if line.is_reconciled:
            raise UserError(
                self.env._(
                    "Transfer %(number)s is already matched: %(document)s.",
                    number=number,
                    document=line.mlml_paid_move_id.display_name or line.mlml_match_note or "",
                )
            )
        if not line.partner_id:
            raise UserError(
                self.env._(
                    "Transfer %(number)s has no partner: refresh the member directory, then "
                    "match it.",
                    number=number,
                )
            )
        if move.state != "posted" or move.company_id != line.company_id:
            raise UserError(
                self.env._(
                    "%(move)s is not a posted document of %(company)s: choose a posted "
                    "invoice or bill.",
                    move=move.display_name,
                    company=line.company_id.name,
                )
            )
        if move.commercial_partner_id != line.partner_id.commercial_partner_id:
            raise UserError(
                self.env._(
                    "%(move)s is a document of %(partner)s; transfer %(number)s was made with "
                    "%(member)s: choose a document of %(member)s.",
                    move=move.display_name,
                    partner=move.commercial_partner_id.display_name,
                    number=number,
                    member=line.partner_id.commercial_partner_id.display_name,
                )
            )
        incoming = line.amount > 0
        if move.move_type not in MLML_DOCUMENTS["in" if incoming else "out"]:
            raise UserError(
                self.env._(
                    "Transfer %(number)s was paid to the company: it pays an invoice or a "
                    "vendor credit note, not %(move)s.",
                    number=number,
                    move=move.display_name,
                )
                if incoming
                else self.env._(
                    "Transfer %(number)s was paid by the company: it pays a bill or a "
                    "customer credit note, not %(move)s.",
                    number=number,
                    move=move.display_name,
                )
            )
        if move.currency_id != move.company_id.currency_id:
            raise UserError(
                self.env._(
                    "%(move)s is in %(currency)s: an MLML transfer pays documents in "
                    "%(own)s, the currency the MLML is worth.",
                    move=move.display_name,
                    currency=move.currency_id.name,
                    own=move.company_id.currency_id.name,
                )
            )
        if currency.compare_amounts(abs(line.amount), move.mlml_residual) > 0:
            raise UserError(
                self.env._(
                    "Transfer %(number)s moved %(amount)s, more than what is left to pay in "
                    "MLML of %(move)s (%(residual)s): choose another document, or ask the "
                    "clearing house to reverse the transfer.",
                    number=number,
                    amount=fmt(abs(line.amount)),
                    move=move.display_name,
                    residual=fmt(move.mlml_residual),
                )
            )

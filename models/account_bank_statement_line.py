from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools.misc import formatLang

from .mlml_bounds_grant import LEDGER_DECIDED, ledger_decided

# The documents a transfer may pay, by its direction: what the company sells
# (paid in) and what it buys (paid out).
MLML_DOCUMENTS = {
    "in": ("out_invoice", "in_refund"),
    "out": ("in_invoice", "out_refund"),
}


class AccountBankStatementLine(models.Model):
    _inherit = "account.bank.statement.line"

    mlml_transfer_ref = fields.Char(
        string="Clearing House Transfer",
        readonly=True,
        copy=False,
        index="btree_not_null",
        help="The clearing house's identifier of the transfer this line books.",
    )
    mlml_transfer_number = fields.Char(
        string="Transfer Number",
        readonly=True,
        copy=False,
        help="The transfer's number in the clearing house's ledger.",
    )
    mlml_reversal_of = fields.Char(
        string="Reverses Transfer",
        readonly=True,
        copy=False,
        help="The number of the transfer the clearing house reversed with this one.",
    )
    mlml_reversal_reason = fields.Char(
        string="Reversal Reason",
        readonly=True,
        copy=False,
        help="Why the clearing house reversed that transfer, as it says it.",
    )

    _sql_constraints = [
        (
            "mlml_transfer_unique",
            "unique(company_id, mlml_transfer_ref)",
            "A transfer of the clearing house is booked once in the company's books.",
        ),
    ]

    @api.model_create_multi
    def create(self, vals_list):
        if any(vals.get("mlml_transfer_ref") for vals in vals_list):
            self._mlml_check_from_ledger()
        return super().create(vals_list)

    def write(self, vals):
        if {
            "mlml_transfer_ref",
            "mlml_transfer_number",
            "mlml_reversal_of",
            "mlml_reversal_reason",
        } & vals.keys():
            self._mlml_check_from_ledger()
        return super().write(vals)

    def _mlml_check_from_ledger(self):
        if not ledger_decided(self.env.context):
            raise UserError(
                self.env._(
                    "The transfers of the clearing house come into the barter journal by "
                    "the synchronisation only: synchronise the journal."
                )
            )

    @api.model
    def _mlml_book_transfers(self, company, transfers):
        """Book the ``transfers`` the synchronisation read (backend Transfer
        objects, in ledger order) in the company's barter journal; return how
        many statement lines were written.

        A transfer already booked (by its statement line, or as the payment
        that made it from this database) is skipped: nothing is booked twice.
        The page is read and written in batches: one query for what is already
        booked, one for the partners, one for the invoices named, one create.
        """
        refs = [str(transfer.id) for transfer in transfers]
        known = set(
            self.search(
                [("company_id", "=", company.id), ("mlml_transfer_ref", "in", refs)]
            ).mapped("mlml_transfer_ref")
        )
        Payment = self.env["account.payment"]
        sent = {
            payment.mlml_transfer_ref: payment
            for payment in Payment.sudo().search(
                [
                    ("company_id", "=", company.id),
                    (
                        "mlml_transfer_ref",
                        "in",
                        [str(t.id) for t in transfers if t.direction == "out"],
                    ),
                ]
            )
        }
        todo = []
        for transfer in transfers:
            ref = str(transfer.id)
            if ref in known:
                continue
            known.add(ref)
            payment = sent.get(ref)
            if not payment and transfer.direction == "out" and transfer.key:
                payment = Payment._mlml_find_sent(company, transfer)
            if payment:
                payment._mlml_accepted(transfer)
                continue
            todo.append(transfer)
        return len(self._mlml_create_from_transfers(company, todo))

    @api.model
    def _mlml_create_from_transfers(self, company, transfers):
        """Write the statement lines of ``transfers`` (in ledger order) in one
        create, each matched with the invoice or bill it pays, if any."""
        if not transfers:
            return self.browse()
        journal = company._mlml_ensure_journal()
        currency = company.mlml_currency_id
        numbers = {t.payer if t.direction == "in" else t.payee for t in transfers}
        partners = {}
        for partner in self.env["res.partner"].search(
            [("mlml_member_number", "in", list(numbers)), ("is_company", "=", True)]
        ):
            partners.setdefault(partner.mlml_member_number, partner)
        candidates = self._mlml_documents_named(company, transfers, partners)
        prefix = self.env["account.payment"]._mlml_key_prefix()
        taken = {}
        vals_list, documents = [], []
        for transfer in transfers:
            incoming = transfer.direction == "in"
            number = transfer.payer if incoming else transfer.payee
            partner = partners.get(number, self.env["res.partner"])
            amount = float(transfer.amount) if incoming else -float(transfer.amount)
            notes = []
            document = self.env["account.move"]
            clearing = self.env["account.account"]
            if transfer.currency and transfer.currency != currency.name:
                notes.append(
                    self.env._(
                        "The clearing house booked this transfer in %(currency)s, not in "
                        "%(barter)s: check it with the clearing house before matching it.",
                        currency=transfer.currency,
                        barter=currency.name,
                    )
                )
            elif not partner:
                notes.append(
                    self.env._(
                        "No partner has the member number %(number)s: refresh the member "
                        "directory, then match this line.",
                        number=number,
                    )
                )
            elif transfer.channel == "compensation":
                # The liquidity part of a compensation run: the set-off entry of the
                # run balances the same amount on the clearing account.
                clearing = company._mlml_ensure_compensation()[0]
                notes.append(
                    self.env._(
                        "Liquidity part of compensation %(run)s: booked on the clearing "
                        "account, with the run's set-off entry.",
                        run=transfer.reference,
                    )
                )
            else:
                document, note = self._mlml_document_of(
                    company, transfer, partner, candidates=candidates, taken=taken
                )
                if note:
                    notes.append(note)
            if transfer.direction == "out" and (transfer.key or "").startswith(prefix):
                notes.append(
                    self.env._(
                        "Made from this database by a payment that is not in the books (it "
                        "was not saved, or was changed since): the transfer is booked here "
                        "instead. Do not pay it again."
                    )
                )
            if transfer.reversal_of:
                notes.append(
                    self._mlml_reversal_text(transfer.reversal_of, transfer.reversal_reason)
                )
            terms = document.line_ids.filtered(
                lambda line: line.display_type == "payment_term" and not line.reconciled
            )[:1]
            values = {
                "journal_id": journal.id,
                "date": transfer.date,
                "amount": amount,
                "payment_ref": " ".join(filter(None, [transfer.number, transfer.reference])),
                "partner_id": partner.id,
                "mlml_transfer_ref": str(transfer.id),
                "mlml_transfer_number": transfer.number,
                "mlml_reversal_of": transfer.reversal_of or False,
                "mlml_reversal_reason": transfer.reversal_reason or False,
                "narration": Markup("").join(
                    Markup("<p>%s</p>") % note for note in [transfer.memo, *notes] if note
                ),
            }
            if terms:
                values["counterpart_account_id"] = terms.account_id.id
                taken[document] = taken.get(document, 0.0) + float(transfer.amount)
            elif clearing:
                values["counterpart_account_id"] = clearing.id
            vals_list.append(values)
            documents.append(document if terms else self.env["account.move"])
        lines = self.with_context(mlml_ledger_decided=LEDGER_DECIDED).create(vals_list)
        # Each document's open items with the counterparts of every line that pays
        # it, in one reconciliation plan.
        plan = {}
        for line, document in zip(lines, documents, strict=True):
            if not document:
                continue
            if document not in plan:
                plan[document] = document.line_ids.filtered(
                    lambda aml: aml.display_type == "payment_term" and not aml.reconciled
                )
            account = plan[document][:1].account_id
            plan[document] |= line.move_id.line_ids.filtered(
                lambda aml, account=account: aml.account_id == account
            )
        if plan:
            self.env["account.move.line"].with_context(
                mlml_ledger_decided=LEDGER_DECIDED
            )._reconcile_plan(list(plan.values()))
        return lines

    @api.model
    def _mlml_reversal_text(self, number, reason):
        """What a reversal says: the transfer it reverses, and why where known."""
        if reason:
            return self.env._(
                "Reverses transfer %(number)s: %(reason)s", number=number, reason=reason
            )
        return self.env._("Reverses transfer %(number)s.", number=number)

    @api.model
    def _mlml_documents_named(self, company, transfers, partners):
        """The posted invoices and bills of these partners whose number or
        reference is a reference of ``transfers`` (one search)."""
        references = {(t.reference or "").strip() for t in transfers} - {""}
        if not references or not partners:
            return self.env["account.move"]
        commercial = self.env["res.partner"].union(*partners.values()).commercial_partner_id
        return self.env["account.move"].search(
            [
                ("company_id", "=", company.id),
                ("state", "=", "posted"),
                ("move_type", "in", [t for types in MLML_DOCUMENTS.values() for t in types]),
                ("commercial_partner_id", "in", commercial.ids),
                "|",
                ("name", "in", list(references)),
                ("ref", "in", list(references)),
            ]
        )

    @api.model
    def _mlml_document_of(self, company, transfer, partner, candidates=None, taken=None):
        """The open invoice or bill whose number is the transfer's reference, and
        why it is not matched when it is not: (document, note).

        ``candidates``: the documents to choose from, read beforehand for a
        batch (``_mlml_documents_named``); ``taken``: what the lines of the
        batch written before this one already pay of each document."""
        reference = (transfer.reference or "").strip()
        if not reference:
            return self.env["account.move"], self.env._(
                "The transfer gives no invoice number: match it by hand from the MLML account."
            )
        if candidates is None:
            candidates = self._mlml_documents_named(
                company, [transfer], {partner.mlml_member_number: partner}
            )
        documents = candidates.filtered(
            lambda move: (
                move.move_type in MLML_DOCUMENTS[transfer.direction]
                and move.commercial_partner_id == partner.commercial_partner_id
                and reference in (move.name, move.ref)
            )
        )
        if not documents:
            return documents, self.env._(
                "No open invoice or bill of %(partner)s has the number %(reference)s: "
                "match this line by hand from the MLML account.",
                partner=partner.display_name,
                reference=reference,
            )
        document = documents[0]
        currency = document.mlml_currency_id
        residual = document.mlml_residual - (taken or {}).get(document, 0.0)
        if currency.compare_amounts(float(transfer.amount), residual) > 0:
            return self.env["account.move"], self.env._(
                "%(amount)s is more than what is left to pay in MLML of %(document)s "
                "(%(residual)s): match this line by hand from the MLML account.",
                amount=formatLang(self.env, float(transfer.amount), currency_obj=currency),
                document=document.display_name,
                residual=formatLang(self.env, residual, currency_obj=currency),
            )
        return document, ""

"""The member side of the multilateral compensation.

``mlml.set.off`` submits a member company's open invoices and bills to the
clearing house's compensation (its obligations) and books each confirmed run
as a set-off entry that reconciles what the run cleared. ``res.company``
keeps the compensation's settings (below) and thin public methods.
"""

from decimal import Decimal

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools.misc import format_date, formatLang

from ..mlml_barter import split
from ..mlml_barter.backend import BackendError, Declaration, Refused
from ..mlml_barter.compensation_run import cents


class MlmlCompensationError(UserError):
    """A compensation run the synchronisation could not book (nothing of it written)."""


class ResCompany(models.Model):
    _inherit = "res.company"

    # Member side: the multilateral compensation of invoices between members.
    mlml_compensation_auto = fields.Boolean(
        string="Submit Invoices to the Compensation",
        help="The synchronisation submits the open invoices and bills with other members to "
        "the clearing house's multilateral compensation. Otherwise, they are submitted with "
        "the button Submit to the Compensation.",
    )
    mlml_compensation_account_id = fields.Many2one(
        comodel_name="account.account",
        string="Compensation Clearing Account",
        check_company=True,
        help="The account of the set-off entries: the receivables and payables a compensation "
        "clears are balanced on it, and the MLML transfers of its liquidity part land on it, "
        "so that it nets to zero for each run (467100 on the French chart).",
    )
    mlml_compensation_journal_id = fields.Many2one(
        comodel_name="account.journal",
        string="Compensation Journal",
        check_company=True,
        domain="[('type', '=', 'general')]",
        help="The journal of the set-off entries of the compensation runs.",
    )
    mlml_compensation_cursor = fields.Char(
        string="Compensations Synchronised Up To",
        copy=False,
        groups="mlml_barter.group_mlml_manager",
        help="The clearing house's position after the last compensation run booked.",
    )
    mlml_obligation_cursor = fields.Char(
        string="Obligations Synchronised Up To",
        copy=False,
        groups="mlml_barter.group_mlml_manager",
        help="The clearing house's position after the last change of an obligation read.",
    )


class MlmlSetOff(models.AbstractModel):
    """A member company's submissions to the compensation and its set-off entries."""

    _name = "mlml.set.off"
    _description = "Set-off of a Member's Invoices"

    @api.model
    def _ensure_compensation(self, company):
        """The clearing account and the journal of the set-off entries, created
        where missing: (account, journal)."""
        company.ensure_one()
        if not company.chart_template:
            raise UserError(
                self.env._(
                    "%(company)s has no chart of accounts yet: choose its fiscal localization "
                    "in the Invoicing settings before booking compensations.",
                    company=company.name,
                )
            )
        if not company.mlml_compensation_account_id:
            company.mlml_compensation_account_id = self.env["account.account"].create(
                self._prepare_compensation_account_vals(company)
            )
            account = company.mlml_compensation_account_id
            for lang, _name in self.env["res.lang"].get_installed():
                account.with_context(lang=lang).name = company.with_context(lang=lang).env._(
                    "Multilateral Compensation"
                )
        if not company.mlml_compensation_journal_id:
            company.mlml_compensation_journal_id = self.env["account.journal"].create(
                {
                    "name": self.env._("Compensation"),
                    "code": company._mlml_free_journal_code("COMP"),
                    "type": "general",
                    "company_id": company.id,
                }
            )
        return company.mlml_compensation_account_id, company.mlml_compensation_journal_id

    @api.model
    def _prepare_compensation_account_vals(self, company):
        """467100 on the French chart (other debtors and creditors), else a current
        asset account next to the chart's own."""
        company.ensure_one()
        Account = self.env["account.account"].with_company(company)
        charts = self.env["account.chart.template"]._get_parent_template(company.chart_template)
        prefix = "4671" if "fr" in charts else ""
        current = Account.search(
            [*Account._check_company_domain(company), ("account_type", "=", "asset_current")],
            order="code",
            limit=1,
        )
        sample = current or Account.search(Account._check_company_domain(company), limit=1)
        digits = len(sample.code) if sample else 6
        if not prefix:
            prefix = (current.code or "")[: max(digits - 2, 1)]
        return {
            "name": self.env._("Multilateral Compensation"),
            "code": Account._search_new_account_code(prefix.ljust(digits, "0")),
            "account_type": "asset_current",
            "company_ids": [fields.Command.link(company.id)],
        }

    @api.model
    def _compensation_documents(self, company):
        """The posted invoices and bills of the company with other members that are
        still open, and the ones submitted before that no longer are."""
        company.ensure_one()
        Move = self.env["account.move"].sudo()
        open_documents = Move.search(
            [
                ("company_id", "=", company.id),
                ("state", "=", "posted"),
                ("move_type", "in", ("out_invoice", "in_invoice")),
                ("payment_state", "in", ("not_paid", "partial")),
                ("commercial_partner_id.mlml_member_state", "in", ("active", "suspended")),
                ("commercial_partner_id.mlml_member_number", "!=", False),
                ("commercial_partner_id", "!=", company.partner_id.id),
            ],
            order="invoice_date_due, id",
        )
        closed = Move.search(
            [
                ("company_id", "=", company.id),
                ("mlml_declared_amount", ">", 0),
                ("id", "not in", open_documents.ids),
            ]
        )
        return open_documents, closed

    @api.model
    def _submit_and_tell(self, company):
        """Book the confirmed runs, submit the company's open invoices and bills with
        other members to the compensation, and say what was done."""
        company.ensure_one()
        declared, refused = self._submit_compensation(company)
        lines = [
            self.env._(
                "%(count)s invoice(s) or bill(s) submitted to the compensation.",
                count=len(declared),
            )
        ]
        lines += [
            self.env._("%(move)s not submitted: %(reason)s", move=move.name, reason=reason)
            for move, reason in refused.items()
        ]
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "warning" if refused else "success",
                "sticky": bool(refused),
                "title": self.env._("Multilateral compensation"),
                "message": "\n".join(lines),
            },
        }

    @api.model
    def _submit_compensation(self, company):
        """Submit the company's open invoices and bills with other members to the
        compensation: (declared moves, {move: reason not submitted})."""
        company.ensure_one()
        backend = self.env["mlml.connection"]._required_backend(company)
        try:
            self._book_compensations(company, backend)
            declared, refused = self._declare_obligations(company, backend)
            self._read_obligations(company, backend)
        except BackendError as error:
            raise UserError(self.env["mlml.connection"]._error_text(company, error)) from error
        finally:
            backend.close()
        return declared, refused

    @api.model
    def _declare_obligations(self, company, backend):
        """Declare each open invoice and bill whose figures the clearing house does
        not have yet; return (declared moves, {move: reason refused})."""
        company.ensure_one()
        number = company.partner_id.mlml_member_number
        if not number:
            raise UserError(
                self.env._(
                    "%(company)s has no member number: enter it in the settings (block "
                    "%(network)s) before submitting invoices to the compensation.",
                    company=company.name,
                    network=company.mlml_network_name,
                )
            )
        currency = company.currency_id
        open_documents, closed = self._compensation_documents(company)
        uuid = self.env["ir.config_parameter"].sudo().get_param("database.uuid")
        declared = self.env["account.move"]
        refused = {}
        pending = []
        for move in open_documents:
            amount = currency.round(abs(move.amount_residual_signed))
            due = move.invoice_date_due or move.invoice_date or move.date
            selling = move.move_type == "out_invoice"
            # The creditor's MLML part: 0.00 where it accepts none (null would be all).
            mlml = self._mlml_open(move, amount) if selling else 0.0
            if (
                not currency.compare_amounts(amount, move.mlml_declared_amount)
                and due == move.mlml_declared_due
                and not currency.compare_amounts(mlml, move.mlml_declared_mlml)
            ):
                continue
            partner_number = move.commercial_partner_id.mlml_member_number
            invoice = move.name if selling else (move.ref or "").strip()
            if not invoice:
                refused[move] = self.env._(
                    "Bill %(bill)s of %(partner)s has no supplier's invoice number: enter it "
                    "in its field Bill Reference, then submit it again.",
                    bill=move.name,
                    partner=move.commercial_partner_id.display_name,
                )
                continue
            # The key names the figures: other figures (an MLML part changed) are a new
            # declaration, the same ones sent again the same declaration.
            key = f"{uuid}:obligation:{move.id}:{cents(amount)}:{due.isoformat()}"
            if selling:
                key += f":{cents(mlml)}"
            pending.append(
                (
                    move,
                    amount,
                    due,
                    mlml,
                    Declaration(
                        key=key,
                        invoice=invoice,
                        creditor=number if selling else partner_number,
                        debtor=partner_number if selling else number,
                        amount=Decimal(str(amount)),
                        currency=currency.name,
                        due_date=due,
                        mlml_open=Decimal(str(mlml)) if selling else None,
                    ),
                )
            )
        # One call per thousand declarations where the ledger has a batch call.
        results = backend.declare_obligations([declaration for *_, declaration in pending])
        for (move, amount, due, mlml, _declaration), obligation in zip(
            pending, results, strict=True
        ):
            if isinstance(obligation, Refused):
                refused[move] = obligation.detail or obligation.code
                continue
            before = (move.mlml_declared_amount, move.mlml_declared_due, move.mlml_declared_mlml)
            move.write(
                {
                    "mlml_declared_amount": amount,
                    "mlml_declared_due": due,
                    "mlml_declared_mlml": mlml,
                    "mlml_declared_date": fields.Datetime.now(),
                    "mlml_obligation_ref": obligation.id,
                    "mlml_obligation_state": obligation.state,
                }
            )
            move.message_post(body=self._declaration_text(move, before))
            declared |= move
        for move in closed:
            move.message_post(
                body=self.env._(
                    "%(move)s was submitted to the multilateral compensation (%(amount)s) and "
                    "is no longer open: ask the clearing house to withdraw it from the "
                    "compensation, or a run may still set it off.",
                    move=move.name,
                    amount=formatLang(self.env, move.mlml_declared_amount, currency_obj=currency),
                )
            )
            move.write({"mlml_declared_amount": 0.0, "mlml_declared_mlml": 0.0})
        for move, reason in refused.items():
            move.message_post(
                body=self.env._(
                    "Not submitted to the multilateral compensation: %(reason)s", reason=reason
                )
            )
        return declared, refused

    @api.model
    def _declaration_text(self, move, before):
        """What the chatter of ``move`` says of its declaration, just written;
        ``before``: the (amount, due date, MLML part) submitted before it."""
        currency = move.company_id.currency_id
        amount, due, mlml = (
            move.mlml_declared_amount,
            move.mlml_declared_due,
            move.mlml_declared_mlml,
        )
        amount_before, due_before, mlml_before = before
        if (
            amount_before
            and not currency.compare_amounts(amount, amount_before)
            and due == due_before
        ):
            return self.env._(
                "Submitted again to the multilateral compensation with the MLML part "
                "%(company)s still accepts on it, %(mlml)s (was %(before)s): a compensation "
                "run pays it no more than that in MLML.",
                company=move.company_id.name,
                mlml=formatLang(self.env, mlml, currency_obj=currency),
                before=formatLang(self.env, mlml_before, currency_obj=currency),
            )
        if amount_before:
            text = self.env._(
                "Submitted again to the multilateral compensation with what is left to "
                "pay, %(amount)s due %(due)s (was %(before)s): the clearing house takes it "
                "out of the runs not confirmed yet, until %(partner)s declares the same "
                "figures.",
                amount=formatLang(self.env, amount, currency_obj=currency),
                due=format_date(self.env, due),
                before=formatLang(self.env, amount_before, currency_obj=currency),
                partner=move.commercial_partner_id.display_name,
            )
        else:
            text = self.env._(
                "Submitted to the multilateral compensation: %(amount)s due %(due)s.",
                amount=formatLang(self.env, amount, currency_obj=currency),
                due=format_date(self.env, due),
            )
        if move.move_type == "out_invoice":
            text += " " + self.env._(
                "A compensation run pays at most %(mlml)s of it in MLML.",
                mlml=formatLang(self.env, mlml, currency_obj=currency),
            )
        return text

    @api.model
    def _mlml_open(self, move, amount):
        """What the company still accepts in MLML on its invoice ``move`` of which
        ``amount`` is open: its MLML part less what was paid of it in MLML, by
        payments and by compensation runs, within 0 and ``amount``."""
        currency = move.company_id.currency_id
        if currency.is_zero(move.mlml_compensation_mlml):
            # No run paid any of it in MLML: its MLML residual, already stored.
            return min(move.mlml_residual, amount)
        paid = move._mlml_barter_settlement()[0]
        return currency.round(
            float(split.mlml_open(move.mlml_amount, paid, move.mlml_compensation_mlml, amount))
        )

    @api.model
    def _read_obligations(self, company, backend):
        """Follow the clearing house's feed of the company's obligations: the
        state of each invoice submitted, and why one was withdrawn."""
        company.ensure_one()
        company = company.sudo()
        Move = self.env["account.move"].sudo()
        while True:
            page = backend.obligations(after=company.mlml_obligation_cursor or None)
            for obligation in page.items:
                moves = Move.search(
                    [("company_id", "=", company.id), ("mlml_obligation_ref", "=", obligation.id)]
                )
                changed = moves.filtered(lambda m, o=obligation: m.mlml_obligation_state != o.state)
                for move in changed:
                    move.mlml_obligation_state = obligation.state
                    if obligation.state == "withdrawn":
                        move.message_post(
                            body=self.env._(
                                "Withdrawn from the multilateral compensation by the clearing "
                                "house: %(reason)s",
                                reason=obligation.withdrawal_reason or "",
                            )
                        )
            company.mlml_obligation_cursor = page.cursor
            if not page.has_more:
                return

    @api.model
    def _compensation_step(self, company, backend):
        """What the synchronisation does of the compensation: book the confirmed
        runs, submit the invoices when the setting says so, follow the obligations.
        A ledger that runs no compensation (Cyclos) is left alone."""
        company.ensure_one()
        try:
            booked = self._book_compensations(company, backend)
            if company.mlml_compensation_auto:
                self._declare_obligations(company, backend)
            self._read_obligations(company, backend)
        except Refused as refusal:
            if refusal.code == "compensation_not_offered":
                return 0
            raise
        return booked

    @api.model
    def _book_compensations(self, company, backend):
        """Book each confirmed run the company took part in, once: one set-off
        entry per run, in its own savepoint; the cursor moves on after a page
        booked whole. Return how many runs were booked."""
        company.ensure_one()
        company = company.sudo()
        booked = 0
        while True:
            page = backend.compensations(after=company.mlml_compensation_cursor or None)
            for run in page.items:
                try:
                    with self.env.cr.savepoint():
                        booked += bool(self._book_compensation(company, run))
                except (UserError, ValidationError) as error:
                    raise MlmlCompensationError(
                        self.env._(
                            "Compensation %(run)s could not be booked: %(error)s",
                            run=run.number,
                            error=error.args[0],
                        )
                    ) from error
            company.mlml_compensation_cursor = page.cursor
            if not page.has_more:
                return booked

    @api.model
    def _compensation_document(self, company, item):
        """The company's invoice or bill of a run's line (backend CompensatedInvoice)."""
        Move = self.env["account.move"].sudo()
        if item.obligation:
            move = Move.search(
                [("company_id", "=", company.id), ("mlml_obligation_ref", "=", item.obligation)],
                limit=1,
            )
            if move:
                return move
        selling = item.role == "creditor"
        return Move.search(
            [
                ("company_id", "=", company.id),
                ("state", "=", "posted"),
                ("move_type", "=", "out_invoice" if selling else "in_invoice"),
                ("name" if selling else "ref", "=", item.invoice),
                (
                    "commercial_partner_id.mlml_member_number",
                    "=",
                    item.debtor if selling else item.creditor,
                ),
            ],
            limit=1,
        )

    @api.model
    def _mlml_settlement_text(self, run, move, amount, mlml, entry):
        """What a run with liquidity did on an invoice or bill: what was set off,
        what its MLML account received (invoice) or paid (bill)."""
        currency = move.company_id.currency_id
        values = {
            "run": run.number,
            "amount": formatLang(self.env, amount, currency_obj=currency),
            "set_off": formatLang(self.env, amount - mlml, currency_obj=currency),
            "mlml": formatLang(self.env, mlml, currency_obj=currency),
            "entry": entry.name,
        }
        if move.move_type == "out_invoice":
            return self.env._(
                "Settled by multilateral compensation %(run)s: %(amount)s, of which %(set_off)s "
                "set off and %(mlml)s received in MLML on the MLML account (entry %(entry)s).",
                **values,
            )
        return self.env._(
            "Settled by multilateral compensation %(run)s: %(amount)s, of which %(set_off)s set "
            "off and %(mlml)s paid in MLML from the MLML account (entry %(entry)s).",
            **values,
        )

    @api.model
    def _book_compensation(self, company, run):
        """The set-off entry of a confirmed run (backend Compensation), or nothing
        when it is booked already: per invoice and bill cleared, a line on its
        receivable or payable reconciled with it (in part where the run cleared
        part of it), the balance on the clearing account. Each line and each
        document's message say what was set off and what moved through the MLML
        account (a run with liquidity)."""
        company.ensure_one()
        Move = self.env["account.move"].sudo()
        if Move.search_count(
            [("company_id", "=", company.id), ("mlml_compensation_ref", "=", run.id)], limit=1
        ):
            return Move
        currency = company.currency_id
        if run.currency != currency.name:
            raise UserError(
                self.env._(
                    "The run sets off invoices in %(currency)s and the books of %(company)s are "
                    "kept in %(own)s: tell the clearing house.",
                    currency=run.currency,
                    company=company.name,
                    own=currency.name,
                )
            )
        label = self.env._("Settled by multilateral compensation %(run)s", run=run.number)
        lines, documents = [], []
        for item in run.invoices:
            amount = float(item.amount_cleared)
            if currency.is_zero(amount):
                continue
            move = self._compensation_document(company, item)
            if not move:
                raise UserError(
                    self.env._(
                        "No posted %(kind)s %(invoice)s of member %(member)s is in the books: "
                        "it was set off for %(amount)s. Post it (the same number), then "
                        "synchronise again.",
                        kind=self.env._("invoice")
                        if item.role == "creditor"
                        else self.env._("bill"),
                        invoice=item.invoice,
                        member=item.debtor if item.role == "creditor" else item.creditor,
                        amount=formatLang(self.env, amount, currency_obj=currency),
                    )
                )
            terms = move.line_ids.filtered(lambda line: line.display_type == "payment_term")
            selling = item.role == "creditor"
            mlml = min(float(item.amount_mlml), amount)
            name = f"{label} — {move.name}"
            if not currency.is_zero(mlml):
                name = self.env._(
                    "%(label)s — %(move)s: %(set_off)s set off, %(mlml)s in MLML",
                    label=label,
                    move=move.name,
                    set_off=formatLang(self.env, amount - mlml, currency_obj=currency),
                    mlml=formatLang(self.env, mlml, currency_obj=currency),
                )
            lines.append(
                fields.Command.create(
                    {
                        "name": name,
                        "account_id": terms[:1].account_id.id,
                        "partner_id": move.commercial_partner_id.id,
                        "mlml_set_off_move_id": move.id,
                        "debit": 0.0 if selling else amount,
                        "credit": amount if selling else 0.0,
                    }
                )
            )
            documents.append((move, amount, mlml))
        if not lines:
            # Nothing of the company's was set off: no entry, and no journal whose
            # empty card would stand on the dashboard.
            return Move
        clearing, journal = self._ensure_compensation(company)
        balance = currency.round(sum(cmd[2]["debit"] - cmd[2]["credit"] for cmd in lines))
        if not currency.is_zero(balance):
            lines.append(
                fields.Command.create(
                    {
                        "name": label,
                        "account_id": clearing.id,
                        "debit": -balance if balance < 0 else 0.0,
                        "credit": balance if balance > 0 else 0.0,
                    }
                )
            )
        confirmed = fields.Date.to_date((run.confirmed_at or "")[:10]) or run.cutoff_date
        entry = Move.create(
            {
                "move_type": "entry",
                "journal_id": journal.id,
                "company_id": company.id,
                "date": max(confirmed, run.cutoff_date),
                "ref": label,
                "narration": label,
                "mlml_compensation_ref": run.id,
                "mlml_compensation_number": run.number,
                "line_ids": lines,
            }
        )
        entry.action_post()
        for index, (move, amount, mlml) in enumerate(documents):
            line = entry.line_ids.filtered(lambda aml, i=index: aml.name == lines[i][2]["name"])
            terms = move.line_ids.filtered(
                lambda aml: aml.display_type == "payment_term" and not aml.reconciled
            )
            open_before = abs(move.amount_residual_signed)
            if terms:
                (line | terms).reconcile()
            declared = max(0.0, currency.round(move.mlml_declared_amount - amount))
            # What the clearing house keeps of the MLML part: less what the run paid in MLML.
            accepted = max(0.0, currency.round(move.mlml_declared_mlml - mlml))
            move.write(
                {"mlml_declared_amount": declared, "mlml_declared_mlml": min(accepted, declared)}
            )
            if not currency.is_zero(mlml):
                move.mlml_compensation_mlml = currency.round(move.mlml_compensation_mlml + mlml)
            text = self.env._(
                "Settled by multilateral compensation %(run)s: %(amount)s set off (entry "
                "%(entry)s).",
                run=run.number,
                amount=formatLang(self.env, amount, currency_obj=currency),
                entry=entry._get_html_link(title=entry.name),
            )
            if not currency.is_zero(mlml):
                text = self._mlml_settlement_text(run, move, amount, mlml, entry)
            if currency.compare_amounts(amount, open_before) > 0:
                text += " " + self.env._(
                    "Only %(open)s was still open: the rest, %(rest)s, is left with %(partner)s "
                    "on its account, to be refunded or used.",
                    open=formatLang(self.env, open_before, currency_obj=currency),
                    rest=formatLang(self.env, amount - open_before, currency_obj=currency),
                    partner=move.commercial_partner_id.display_name,
                )
            move.message_post(body=text)
        return entry

from odoo import api, fields, models

# What res.company computes from the balance row.
COMPANY_FIGURES = ["mlml_balance", "mlml_available_credit", "mlml_ceiling_room"]


class MlmlBalance(models.Model):
    """The company's balance at the clearing house, kept up to date at each posting.

    One row per company, moved by SQL in the transaction that posts (or
    unposts) an entry on a barter account. Updating the row locks it until the
    transaction ends: two payments of the same company are checked against
    the credit line one after the other, never against the same old balance.
    Under Odoo's REPEATABLE READ isolation, the second one fails with a
    serialisation error and is run again by Odoo, seeing the first.
    """

    _name = "mlml.balance"
    _description = "Barter Balance"
    _log_access = False

    company_id = fields.Many2one(
        comodel_name="res.company", required=True, index=True, ondelete="cascade"
    )
    currency_id = fields.Many2one(related="company_id.mlml_currency_id")
    balance = fields.Monetary(readonly=True)

    _sql_constraints = [
        ("company_unique", "unique(company_id)", "A company has one barter balance."),
    ]

    @api.model
    def _barter_line_domain(self, companies):
        """The journal items that make the barter balance of ``companies``."""
        return [
            ("company_id", "in", companies.ids),
            ("parent_state", "=", "posted"),
            ("account_id.currency_id.mlml_is_barter", "=", True),
        ]

    @api.model
    def _ledger_balances(self, companies):
        """Posted balances of the barter accounts, read from the journal items."""
        rows = (
            self.env["account.move.line"]
            .sudo()
            ._read_group(
                self._barter_line_domain(companies),
                groupby=["company_id"],
                aggregates=["amount_currency:sum"],
            )
        )
        return {company: amount for company, amount in rows}

    @api.model
    def _move(self, company, amount):
        """Add ``amount`` to the company's balance; return (before, after).

        The row stays locked until the transaction ends.
        """
        cr = self.env.cr
        cr.execute("SELECT 1 FROM mlml_balance WHERE company_id = %s", [company.id])
        if not cr.rowcount:
            start = self._ledger_balances(company).get(company, 0.0)
            cr.execute(
                """
                INSERT INTO mlml_balance (company_id, balance) VALUES (%s, %s)
                ON CONFLICT (company_id) DO NOTHING
                """,
                [company.id, start],
            )
        cr.execute(
            """
            UPDATE mlml_balance SET balance = balance + %s
             WHERE company_id = %s
         RETURNING balance
            """,
            [amount, company.id],
        )
        after = float(cr.fetchone()[0])
        self._invalidate_figures(company)
        return after - amount, after

    @api.model
    def _balances(self, companies):
        """The companies' barter balances, from their rows or else the ledger."""
        rows = self.sudo().search([("company_id", "in", companies.ids)])
        balances = {row.company_id: row.balance for row in rows}
        missing = companies.filtered(lambda c: c not in balances)
        if missing:
            balances.update(self._ledger_balances(missing))
        return balances

    @api.model
    def _rebuild(self, companies):
        """Recompute the rows from the ledger (after installing, or to repair)."""
        ledger = self._ledger_balances(companies)
        for company in companies:
            self.env.cr.execute(
                """
                INSERT INTO mlml_balance (company_id, balance) VALUES (%s, %s)
                ON CONFLICT (company_id) DO UPDATE SET balance = EXCLUDED.balance
                """,
                [company.id, ledger.get(company, 0.0)],
            )
        self._invalidate_figures(companies)

    @api.model
    def _invalidate_figures(self, companies):
        """Forget what was read of the rows moved by SQL, and what is computed from them.

        The companies' balance, available credit and room under the ceiling are
        read again at once in the same transaction, wherever they are shown.
        """
        self.invalidate_model(["balance"])
        companies.invalidate_recordset(COMPANY_FIGURES)
        self.env["account.move"].invalidate_model(["mlml_available_credit"])

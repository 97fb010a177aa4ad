from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools.misc import formatLang

from ..mlml_barter.bounds import BELOW_CREDIT_LIMIT, check_movement


class AccountMove(models.Model):
    _inherit = "account.move"

    mlml_is_barter = fields.Boolean(
        string="Moves the Barter Account", compute="_compute_mlml_is_barter"
    )

    @api.depends("line_ids.account_id.currency_id.mlml_is_barter")
    def _compute_mlml_is_barter(self):
        for move in self:
            move.mlml_is_barter = any(move.line_ids.account_id.currency_id.mapped("mlml_is_barter"))

    def write(self, vals):
        if "state" in vals:
            self._mlml_check_bounds(vals["state"])
        return super().write(vals)

    def _mlml_check_bounds(self, new_state):
        """Check the barter balance of each company against its credit line.

        Called before an entry enters or leaves the posted state, which is
        when the balance at the clearing house moves: payments, manual
        entries, statement lines, cancellations and reversals alike.
        """
        entering = self.filtered(lambda m: m.state != "posted") if new_state == "posted" else None
        leaving = self.filtered(lambda m: m.state == "posted") if new_state != "posted" else None
        moving = entering or leaving
        if not moving:
            return
        sign = 1 if entering else -1
        rows = (
            self.env["account.move.line"]
            .sudo()
            ._read_group(
                [
                    ("move_id", "in", moving.ids),
                    ("account_id.currency_id.mlml_is_barter", "=", True),
                ],
                groupby=["company_id"],
                aggregates=["amount_currency:sum"],
            )
        )
        for company, amount in rows:
            amount *= sign
            if company.currency_id.is_zero(amount):
                continue
            moves = moving.filtered(lambda m, company=company: m.company_id == company)
            moves._mlml_move_balance(company, amount, entering=bool(entering))

    def _mlml_move_balance(self, company, amount, entering):
        before, _after = self.env["mlml.balance"].sudo()._move(company, amount)
        override = self.env.context.get("mlml_bounds_override") or {}
        forced = bool(override) and all(
            move.id in override.get("move_ids", [])
            or move.origin_payment_id.id in override.get("payment_ids", [])
            for move in self
        )
        verdict = check_movement(
            before,
            amount,
            company.mlml_credit_limit,
            company.mlml_balance_ceiling,
            mode=company.mlml_limit_mode,
            forced=forced,
        )
        if verdict.accepted and not verdict.warning:
            return
        message = self._mlml_breach_message(company, verdict.breach, entering)
        if not verdict.accepted:
            raise UserError(
                self.env._(
                    "%(figures)s\nPay less, or ask the clearing house for a larger credit "
                    "line. An MLML manager may force this entry.",
                    figures=message,
                )
            )
        if forced:
            title = self.env._(
                "Barter bounds forced by %(user)s: %(reason)s",
                user=self.env.user.name,
                reason=override.get("reason", ""),
            )
        else:
            title = self.env._("Warning: this entry takes the barter balance past the credit line.")
        body = Markup("{}<br/>{}").format(title, message)
        activity_type = self.env.ref("mlml_barter.mail_activity_type_mlml_bounds")
        managers = self.env.ref("mlml_barter.group_mlml_manager").users.filtered(
            lambda user: company in user.company_ids and not user.share
        )
        for move in self:
            move.message_post(body=body)
            if not forced:
                for manager in managers:
                    move.activity_schedule(
                        activity_type_id=activity_type.id, user_id=manager.id, note=message
                    )

    def _mlml_breach_message(self, company, breach, entering):
        def fmt(value):
            return formatLang(self.env, float(value))

        if not entering:
            movement = self.env._("cancellation")
        elif all(move.origin_payment_id for move in self):
            movement = self.env._("payment") if breach.amount < 0 else self.env._("receipt")
        else:
            movement = self.env._("entry")
        values = {
            "currency": company.mlml_currency_id.symbol or "",
            "balance": fmt(breach.balance),
            "movement": movement,
            "amount": fmt(abs(breach.amount)),
            "bound": fmt(breach.bound),
            "excess": fmt(breach.excess),
        }
        if breach.reason == BELOW_CREDIT_LIMIT:
            return self.env._(
                "%(currency)s balance %(balance)s; %(movement)s %(amount)s; credit line "
                "%(bound)s: %(excess)s %(currency)s short.",
                **values,
            )
        return self.env._(
            "%(currency)s balance %(balance)s; %(movement)s %(amount)s; ceiling %(bound)s: "
            "%(excess)s %(currency)s over.",
            **values,
        )

from markupsafe import Markup

from odoo import api, models
from odoo.tools.misc import formatLang


class AccountMoveSend(models.AbstractModel):
    _inherit = "account.move.send"

    @api.model
    def _get_default_mail_body(self, move, mail_template, mail_lang):
        """The e-mail of a mixed invoice says what is payable in MLML and what in euros."""
        body = super()._get_default_mail_body(move, mail_template, mail_lang)
        if not body or move.currency_id.is_zero(move.mlml_amount):
            return body
        move = move.with_context(lang=mail_lang)
        env = move.env
        barter = move.mlml_residual if move.state == "posted" else move.mlml_amount
        cash = move.mlml_cash_residual if move.state == "posted" else move.mlml_cash_amount
        text = env._(
            "Of this amount, %(barter)s is payable in %(network)s, by compensation at the "
            "clearing house, and %(cash)s in %(unit)s.",
            barter=formatLang(env, barter, currency_obj=move.mlml_currency_id),
            network=move.mlml_currency_id.symbol or "MLML",
            cash=formatLang(env, cash, currency_obj=move.currency_id),
            unit=(move.currency_id.currency_unit_label or move.currency_id.name).lower(),
        )
        return Markup("{}<p name='mlml_split'>{}</p>").format(body, text)

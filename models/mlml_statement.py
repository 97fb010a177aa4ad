from odoo import api, models
from odoo.exceptions import ValidationError
from odoo.tools.misc import format_date

from ..mlml_barter.statement import COLUMNS, statement_csv_file


class MlmlStatement(models.AbstractModel):
    """What the statements of both roles share: a member's statement of its barter
    account (``mlml.statement.wizard``) and the clearing house's statement of a
    member's account there (``mlml.ledger.account``). Their period, the labels of
    their columns, their files to download."""

    _name = "mlml.statement"
    _description = "Account Statement"

    @api.model
    def _check_period(self, date_from, date_to):
        if date_from > date_to:
            raise ValidationError(
                self.env._(
                    "The statement cannot start on %(date_from)s, after its end on "
                    "%(date_to)s: choose a start date on or before the end date.",
                    date_from=format_date(self.env, date_from),
                    date_to=format_date(self.env, date_to),
                )
            )

    @api.model
    def _labels(self):
        """The labels of the columns and of the opening and closing rows."""
        return {
            "date": self.env._("Date"),
            "partner": self.env._("Partner"),
            "reference": self.env._("Reference"),
            "invoice": self.env._("Invoice"),
            "amount": self.env._("Amount"),
            "balance": self.env._("Balance"),
            "details": self.env._("Details"),
            "opening": self.env._("Opening balance"),
            "closing": self.env._("Closing balance"),
        }

    @api.model
    def _csv_download(self, statement, currency, name, owner, columns=COLUMNS):
        """``statement`` as the CSV file ``name``.csv, in the user's language."""
        decimal_point = self.env["res.lang"]._get_data(code=self.env.lang).decimal_point or "."
        raw = statement_csv_file(
            statement, self._labels(), currency.rounding, decimal_point, columns
        )
        return self._download(raw, f"{name}.csv", "text/csv", owner)

    @api.model
    def _download(self, raw, file_name, mimetype, owner):
        """The action that downloads ``raw``, attached to the record ``owner`` (with
        the rights of ``owner``'s environment)."""
        attachment = owner.env["ir.attachment"].create(
            {
                "name": file_name,
                "raw": raw,
                "mimetype": mimetype,
                "res_model": owner._name,
                "res_id": owner.id,
            }
        )
        return {
            "type": "ir.actions.act_url",
            "url": f"/web/content/{attachment.id}?download=true",
            "target": "download",
        }

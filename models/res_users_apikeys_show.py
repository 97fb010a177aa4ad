from odoo import fields, models


class ResUsersApikeysShow(models.AbstractModel):
    """The dialog that shows a new key once: for a key of the clearing-house API,
    also the address the member enters with it."""

    _inherit = "res.users.apikeys.show"

    mlml_clearing_house_url = fields.Char(string="Clearing House URL", readonly=True)

from odoo import fields, models


class MlmlActivity(models.Model):
    _name = "mlml.activity"
    _description = "Barter Network Activity"
    _order = "name"

    name = fields.Char(required=True, translate=True)
    color = fields.Integer()
    active = fields.Boolean(default=True)

    _sql_constraints = [
        ("name_unique", "unique(name)", "This activity already exists."),
    ]

from odoo import fields, models


class ProductTemplate(models.Model):
    _inherit = "product.template"

    mlml_excluded = fields.Boolean(
        string="Excluded from the MLML Share",
        help="The untaxed amount of this product is never payable in the barter "
        "currency (e.g. disbursements): it is left out of an invoice's MLML share.",
    )

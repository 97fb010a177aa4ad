from odoo import api, models


class ResUsers(models.Model):
    _inherit = "res.users"

    @api.model_create_multi
    def create(self, vals_list):
        users = super().create(vals_list)
        if any(not user.share for user in users):
            self.env["mlml.ledger.account"]._sync_clearing_house_group()
        return users

    def write(self, vals):
        result = super().write(vals)
        if {"groups_id", "company_ids", "active"} & set(vals) or any(
            key.startswith(("in_group_", "sel_groups_")) for key in vals
        ):
            # The MLML managers of a clearing-house company see its menus.
            self.env["mlml.ledger.account"]._sync_clearing_house_group()
        return result

from odoo import models


class IrModuleModule(models.Model):
    _inherit = "ir.module.module"

    def _update_translations(self, filter_lang=None, overwrite=False):
        """Once translations are loaded, name in them what the add-on made by code."""
        result = super()._update_translations(filter_lang=filter_lang, overwrite=overwrite)
        companies = self.env["res.company"].sudo().search([("mlml_journal_id", "!=", False)])
        companies._mlml_translate_records()
        return result

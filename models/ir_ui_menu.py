import copy

from odoo import api, models

from ..mlml_barter.network import DEFAULT_NETWORK, rename


class IrUiMenu(models.Model):
    _inherit = "ir.ui.menu"

    @api.model
    def load_menus(self, debug):
        """The menus, named with the company's network name."""
        menus = super().load_menus(debug)
        network = self._mlml_network()
        if network == DEFAULT_NETWORK:
            return menus
        # The menus are cached for every company: rename a copy.
        menus = copy.deepcopy(menus)
        for menu in menus.values():
            if isinstance(menu.get("name"), str):
                menu["name"] = rename(menu["name"], network)
        return menus

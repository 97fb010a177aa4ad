from odoo import models

from ..mlml_barter.network import DEFAULT_NETWORK, rename


class IrActionsActions(models.Model):
    _inherit = "ir.actions.actions"

    def _get_action_dict(self):
        """Actions (their title in the breadcrumbs) named with the network's name."""
        result = super()._get_action_dict()
        network = self._mlml_network()
        if network != DEFAULT_NETWORK:
            for key in ("name", "help"):
                if isinstance(result.get(key), str):
                    result[key] = rename(result[key], network)
        return result

from odoo import api, models

from ..mlml_barter.network import DEFAULT_NETWORK, rename

# The attributes of a view that a user reads.
LABEL_ATTRIBUTES = ("string", "help", "placeholder", "sum", "title", "confirm")


class Base(models.AbstractModel):
    """Labels that name the network read the company's network name.

    The add-on's views and fields say "MLML"; a company of another network
    (WIR, Sardex…) sets its network's name in its settings, and reads that
    name instead, in every language.
    """

    _inherit = "base"

    @api.model
    def _mlml_network(self):
        company = self.env["res.company"].browse(self.env.context.get("company_id"))
        company = company.exists() or self.env.company
        return company.sudo().mlml_network_name or DEFAULT_NETWORK

    @api.model
    def _get_view_cache_key(self, view_id=None, view_type="form", **options):
        key = super()._get_view_cache_key(view_id, view_type, **options)
        return (*key, self._mlml_network())

    @api.model
    def _get_view(self, view_id=None, view_type="form", **options):
        arch, view = super()._get_view(view_id, view_type, **options)
        network = self._mlml_network()
        if network != DEFAULT_NETWORK:
            for node in arch.iter():
                for attribute in LABEL_ATTRIBUTES:
                    if node.get(attribute):
                        node.set(attribute, rename(node.get(attribute), network))
                node.text = rename(node.text, network)
                node.tail = rename(node.tail, network)
        return arch, view

    @api.model
    def fields_get(self, allfields=None, attributes=None):
        result = super().fields_get(allfields, attributes)
        network = self._mlml_network()
        if network == DEFAULT_NETWORK:
            return result
        for description in result.values():
            for key in ("string", "help"):
                if isinstance(description.get(key), str):
                    description[key] = rename(description[key], network)
            if isinstance(description.get("selection"), list):
                description["selection"] = [
                    (value, rename(label, network) if isinstance(label, str) else label)
                    for value, label in description["selection"]
                ]
        return result

    def _mlml_text(self, text):
        """A message of the add-on, naming the company's network."""
        return rename(text, self._mlml_network())

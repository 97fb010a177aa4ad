"""The member's page of the clearing house's portal: its account and a key of the API."""

from odoo import http
from odoo.http import request

from odoo.addons.portal.controllers.portal import CustomerPortal


class MlmlPortal(CustomerPortal):
    def _prepare_home_portal_values(self, counters):
        values = super()._prepare_home_portal_values(counters)
        _company, member = request.env["mlml.api"]._portal_member(request.env.user)
        values["mlml_portal_member"] = bool(member)
        return values

    def _mlml_page(self, key=None):
        Api = request.env["mlml.api"]
        company, member = Api._portal_member(request.env.user)
        if not member:
            return request.redirect("/my")
        values = {
            **self._prepare_portal_layout_values(),
            "page_name": "mlml_account",
            "member": member.sudo(),
            "account": Api.sudo()._account_json(company, member),
            "api_url": f"{request.httprequest.host_url.rstrip('/')}/mlml/api/v1",
            "key": key,
        }
        return request.render("mlml_barter.portal_my_mlml_account", values)

    @http.route("/my/mlml", type="http", auth="user", methods=["GET"], website=True)
    def portal_my_mlml_account(self, **_kwargs):
        return self._mlml_page()

    @http.route("/my/mlml/api-key", type="http", auth="user", methods=["POST"], website=True)
    def portal_my_mlml_api_key(self, **_kwargs):
        key = request.env["mlml.api"]._portal_generate_key(request.env.user)
        return self._mlml_page(key=key)

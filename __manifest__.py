# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
{
    "name": "MLML Barter Currency",
    "summary": "Invoice and pay partly in an inter-company barter currency (MLML)",
    "version": "18.0.1.0.0",
    "category": "Accounting/Accounting",
    "author": "mlml_barter contributors",
    "license": "AGPL-3",
    "depends": ["account"],
    "data": [
        "data/res_currency_data.xml",
        "views/res_currency_views.xml",
        "views/res_config_settings_views.xml",
    ],
    "demo": [
        "demo/res_company_demo.xml",
    ],
    "post_init_hook": "post_init_hook",
}

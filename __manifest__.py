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
        "security/mlml_barter_security.xml",
        "security/ir.model.access.csv",
        "data/res_currency_data.xml",
        "data/mail_activity_type_data.xml",
        "data/ir_cron_data.xml",
        "views/res_currency_views.xml",
        "views/mlml_activity_views.xml",
        "views/mlml_credit_line_views.xml",
        "views/res_partner_views.xml",
        "views/res_config_settings_views.xml",
        "views/mlml_menus.xml",
    ],
    "demo": [
        "demo/res_company_demo.xml",
    ],
    "post_init_hook": "post_init_hook",
}

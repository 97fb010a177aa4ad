/** @odoo-module **/

import { registry } from "@web/core/registry";
import { stepUtils } from "@web_tour/tour_service/tour_utils";

const CARD = ".o_kanban_record:has([name=mlml_what])";

/**
 * The accountant reads the barter journal's card on the dashboard: what it is,
 * the balance once, the bounds, and the statement one click away. Run by
 * ``tests/test_settings_tours.py`` (balance -800.00, credit line 1,000.00,
 * ceiling 2,000.00).
 */
registry.category("web_tour.tours").add("mlml_barter_journal_card", {
    url: "/odoo/action-account.open_account_journal_dashboard_kanban",
    steps: () => [
        {
            content: "The barter journal's card says what it is",
            trigger: `${CARD}:contains("The company's account at the clearing house")`,
        },
        {
            content: "It is not a bank's card: no bank to connect, no bank setup",
            trigger: `${CARD}:not(:contains("Connect your bank")):not(:has(button[name=action_configure_bank_journal]))`,
        },
        {
            content: "The balance is shown once",
            trigger: `${CARD}:not(:has(#dashboard_bank_cash_balance)) [name=mlml_balance]:contains("800.00")`, // "-\ufeff800.00 MLML"
        },
        {
            content: "The credit line and what is left of it",
            trigger: `${CARD} [name=mlml_credit_limit]:contains("1,000.00") ~ [name=mlml_available_credit]:contains("200.00")`,
        },
        {
            content: "The room under the ceiling",
            trigger: `${CARD} [name=mlml_ceiling_room]:contains("2,800.00")`,
        },
        {
            content: "Open the statement from the card",
            trigger: `${CARD} button:contains("Statement")`,
            run: "click",
        },
        {
            content: "The statement's period is asked",
            trigger: ".modal .o_form_view .o_field_widget[name=date_from] input",
        },
        {
            content: "Close it",
            trigger: ".modal .modal-footer button:contains(Cancel)",
            run: "click",
        },
        {
            trigger: `body:not(:has(.modal)) ${CARD}`,
        },
    ],
});

/**
 * An MLML manager without the settings rights sets the company's share, cap
 * and bounds mode from the MLML menu. Run by ``tests/test_settings_tours.py``.
 */
registry.category("web_tour.tours").add("mlml_barter_manager_settings", {
    url: "/odoo",
    steps: () => [
        ...stepUtils.goToAppSteps("account.menu_finance", "Open the Invoicing app"),
        {
            content: "Open the MLML menu",
            trigger: '.o_main_navbar button[data-menu-xmlid="mlml_barter.mlml_menu"]',
            run: "click",
        },
        {
            content: "Open the MLML settings",
            trigger: '.dropdown-item[data-menu-xmlid="mlml_barter.mlml_company_settings_menu"]',
            run: "click",
        },
        {
            content: "The company's account is shown with its currency",
            trigger: '.modal .o_field_widget[name=mlml_credit_limit]:contains("1,000.00")',
        },
        {
            content: "A ceiling of 0 reads: no ceiling",
            trigger: '.modal .o_field_widget[name=mlml_balance_ceiling]:contains("no ceiling")',
        },
        {
            content: "Set the share",
            trigger: ".modal .o_field_widget[name=mlml_default_share] input",
            run: "edit 35",
        },
        {
            content: "Set the cap",
            trigger: ".modal .o_field_widget[name=mlml_invoice_cap] input",
            run: "edit 500",
        },
        {
            content: "Warn instead of blocking",
            trigger: ".modal .o_field_widget[name=mlml_limit_mode] input[data-value=warn]",
            run: "click",
        },
        {
            content: "Save",
            trigger: ".modal .modal-footer button[name=action_save]",
            run: "click",
        },
        {
            trigger: "body:not(:has(.modal))",
        },
    ],
});

/** @odoo-module **/

import { registry } from "@web/core/registry";

// Only the record's own crumb: nothing piled up behind it.
const ALONE = ".o_breadcrumb:not(:has(.breadcrumb-item)) .o_last_breadcrumb_item";

/**
 * The clearing house's staff make a transfer past a bound, then within it, and
 * reverse it. Run by ``tests/test_back_office_tours.py`` (Alpha Nettoyage may
 * pay 1,000.00).
 */
registry.category("web_tour.tours").add("mlml_back_office_transfer", {
    url: "/odoo/vendor-bills",
    steps: () => [
        {
            content: "Open the MLML menu",
            trigger: ".o_menu_sections button:contains(MLML)",
            run: "click",
        },
        {
            content: "Two distinct payment requests entries",
            trigger: ".dropdown-item:contains(Members' Payment Requests)",
        },
        {
            content: "New Transfer",
            trigger: ".dropdown-item:contains(New Transfer)",
            run: "click",
        },
        {
            content: "A payer that does not exist",
            trigger: ".modal .o_field_widget[name=payer_id] input",
            run: "edit Zorro",
        },
        {
            content: "No partner is offered to be created",
            trigger: ".o-autocomplete--dropdown-menu:not(:has(.o_m2o_dropdown_option_create)):not(:has(.o_m2o_dropdown_option_create_edit))",
        },
        {
            trigger: ".modal .o_field_widget[name=payer_id] input",
            run: "edit Alpha",
        },
        {
            trigger: ".o-autocomplete--dropdown-item:contains(Alpha Nettoyage)",
            run: "click",
        },
        {
            content: "The payer's balance is shown",
            trigger: ".modal .o_field_widget[name=payer_balance]:contains(0.00)",
        },
        {
            trigger: ".modal .o_field_widget[name=payee_id] input",
            run: "edit Beta",
        },
        {
            trigger: ".o-autocomplete--dropdown-item:contains(Beta Imprimerie)",
            run: "click",
        },
        {
            trigger: ".modal .o_field_widget[name=payee_balance]:contains(0.00)",
        },
        {
            trigger: ".modal .o_field_widget[name=amount] input",
            run: "edit 5000",
        },
        {
            content: "Make a transfer past the payer's credit line",
            trigger: ".modal button[name=action_confirm]",
            run: "click",
        },
        {
            content: "A plain message with the figures and how to force it, not a crash",
            trigger: ".modal:contains(Invalid Operation) .o_error_dialog:contains(Alpha Nettoyage cannot pay 5,000.00):contains(To force it, tick):not(:contains(See technical details))",
        },
        {
            trigger: ".o_error_dialog .o-default-button",
            run: "click",
        },
        {
            trigger: ".modal .o_field_widget[name=amount] input",
            run: "edit 100",
        },
        {
            trigger: ".modal button[name=action_confirm]",
            run: "click",
        },
        {
            content: "The transfer is shown in place of the screens it came from",
            trigger: `body:not(:has(.modal)) ${ALONE}:contains(VIR/)`,
        },
        {
            trigger: ".o_form_view button[name=action_reverse_wizard]",
            run: "click",
        },
        {
            trigger: ".modal .o_field_widget[name=reason] textarea",
            run: "edit Entered twice",
        },
        {
            trigger: ".modal button[name=action_confirm]:contains(Reverse)",
            run: "click",
        },
        {
            content: "Back on the transfer, reversed, with no crumb added",
            trigger: `body:not(:has(.modal)) ${ALONE}:contains(VIR/)`,
        },
        {
            trigger: ".o_statusbar_status .o_arrow_button_current:contains(Reversed)",
        },
        {
            trigger: ".o_form_view .o_field_widget[name=reversed_by_id]:contains(VIR/)",
        },
    ],
});

/**
 * An MLML manager suspends a member: asked why first, and the reason stays.
 */
registry.category("web_tour.tours").add("mlml_back_office_suspend", {
    steps: () => [
        {
            trigger: ".o_notebook a.nav-link:contains(MLML)",
            run: "click",
        },
        {
            trigger: ".o_form_view button[name=action_mlml_suspend]",
            run: "click",
        },
        {
            content: "The dialog says what a suspension does",
            trigger: ".modal:contains(neither pays nor is paid in the whole network)",
        },
        {
            content: "Without a reason, nothing is suspended",
            trigger: ".modal button[name=action_confirm]",
            run: "click",
        },
        {
            trigger: ".modal .o_field_widget[name=reason].o_field_invalid",
        },
        {
            trigger: ".modal .o_field_widget[name=reason] textarea",
            run: "edit Membership fee unpaid since March",
        },
        {
            trigger: ".modal button[name=action_confirm]",
            run: "click",
        },
        {
            content: "Suspended, and why",
            trigger: "body:not(:has(.modal)) .o_field_widget[name=mlml_member_state] .badge:contains(Suspended)",
        },
        {
            trigger: ".o_field_widget[name=mlml_suspension_reason]:contains(Membership fee unpaid since March)",
        },
        {
            trigger: ".o-mail-Message:contains(Membership fee unpaid since March)",
        },
    ],
});

/**
 * A clearing-house officer (one company) gives a member a new API key: the
 * dialog shows the address to enter with it, both with a copy button. Then a
 * new credit line and a new compensation run are called so, with their amounts
 * in their currencies. Run by ``tests/test_back_office_titles.py``.
 */
registry.category("web_tour.tours").add("mlml_barter_back_office_titles", {
    steps: () => [
        {
            content: "The member's form is loaded",
            trigger: ".o_breadcrumb .active:contains(Gamma Conseil)",
        },
        {
            content: "Open the member's MLML tab",
            trigger: ".o_form_view .o_notebook .nav-link[name=mlml]",
            run: "click",
        },
        {
            content: "The MLML tab is shown",
            trigger: ".o_form_view .o_notebook .nav-link.active[name=mlml]",
        },
        {
            content: "Make a new key",
            trigger: ".o_form_view .tab-pane.active button[name=action_mlml_generate_api_key]",
            // A loaded machine may render the tab slowly.
            timeout: 30000,
            run: "click",
        },
        {
            content: "Confirm",
            trigger: ".modal-footer button.btn-primary",
            run: "click",
        },
        {
            content: "The address the member enters, with a copy button",
            trigger: ".modal .o_field_widget[name=mlml_clearing_house_url]:contains(http://127.0.0.1) .o_clipboard_button",
        },
        {
            content: "The key, with a copy button",
            trigger: ".modal .o_field_widget[name=key] .o_clipboard_button",
        },
        {
            content: "Done",
            trigger: ".modal-footer button:contains(Done)",
            run: "click",
        },
        {
            trigger: "body:not(:has(.modal))",
        },
        {
            content: "A new credit line",
            trigger: "body",
            run: "goToUrl /odoo/action-mlml_barter.mlml_credit_line_action/new",
        },
        {
            content: "It is called a new credit line, not ': −0,00 / +∞'",
            trigger: ".o_breadcrumb .active:contains(New credit line)",
        },
        {
            content: "Its amounts are in MLML",
            trigger: ".o_field_widget[name=credit_limit]:contains(MLML)",
        },
        {
            content: "A new compensation run",
            trigger: "body",
            run: "goToUrl /odoo/action-mlml_barter.mlml_compensation_action/new",
        },
        {
            content: "It is called a new run, not '/'",
            trigger: ".o_form_view .oe_title h1:contains(New compensation run)",
        },
        {
            content: "Its amounts have their unit",
            trigger: ".o_field_widget[name=mlml_moved]:contains(MLML)",
        },
        {
            trigger: ".o_breadcrumb .active:not(:contains(/))",
        },
    ],
});

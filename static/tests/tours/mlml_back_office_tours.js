/** @odoo-module **/

import { registry } from "@web/core/registry";

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
            trigger: ".o_notebook .nav-link[name=mlml]",
            run: "click",
        },
        {
            content: "Make a new key",
            trigger: ".tab-pane.active button[name=action_mlml_generate_api_key]:visible",
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

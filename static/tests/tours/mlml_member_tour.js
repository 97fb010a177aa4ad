/** @odoo-module **/

import { registry } from "@web/core/registry";
import { stepUtils } from "@web_tour/tour_service/tour_utils";

const MEMBER = "Torréfaction des Flandres";

/**
 * An MLML manager activates a candidate member, then approves the credit line
 * it submitted. Run by ``tests/test_tour.py``, which creates the candidate and
 * its submitted line.
 */
registry.category("web_tour.tours").add("mlml_barter_member_activation", {
    url: "/odoo",
    steps: () => [
        // Invoicing › MLML › Members
        ...stepUtils.goToAppSteps("account.menu_finance", "Open the Invoicing app"),
        {
            content: "Open the MLML menu",
            trigger: '.o_main_navbar button[data-menu-xmlid="mlml_barter.mlml_menu"]',
            run: "click",
        },
        {
            content: "Open the member directory",
            trigger: '.dropdown-item[data-menu-xmlid="mlml_barter.res_partner_mlml_member_menu"]',
            run: "click",
        },
        {
            content: "The directory opens on its active members",
            trigger: '.o_breadcrumb .active:contains("Members")',
        },
        {
            content: "Remove the default “Active Members” filter",
            trigger: '.o_searchview_facet:contains("Active Members") .o_facet_remove',
            run: "click",
        },
        {
            trigger: ".o_searchview:not(:has(.o_searchview_facet))",
        },
        {
            content: "Open the filters",
            trigger: ".o_control_panel .o_searchview_dropdown_toggler",
            run: "click",
        },
        {
            content: "Show the candidates",
            trigger: '.o_filter_menu .o_menu_item:contains("Candidates")',
            run: "click",
        },
        {
            trigger: '.o_searchview_facet:contains("Candidates")',
        },
        {
            content: "Close the filters",
            trigger: ".o_control_panel .o_searchview_dropdown_toggler",
            run: "click",
        },
        {
            content: "Open the candidate",
            trigger: `.o_kanban_view:not(.o_view_sample_data) .o_kanban_record:contains("${MEMBER}")`,
            run: "click",
        },
        // The partner form, MLML tab
        {
            content: "The partner form of the candidate is open",
            trigger: `.o_form_view .o_breadcrumb .active:contains("${MEMBER}")`,
        },
        {
            content: "Go to the MLML tab",
            trigger: ".o_notebook .nav-link[name=mlml]",
            run: "click",
        },
        {
            content: "The partner is a candidate",
            trigger: '.o_field_widget[name=mlml_member_state] .badge:contains("Candidate")',
        },
        {
            content: "Activate the membership",
            trigger: '.o_form_view button[name=action_mlml_activate]:contains("Activate Membership")',
            run: "click",
        },
        {
            content: "The membership is active",
            trigger: '.o_field_widget[name=mlml_member_state] .badge.text-bg-success:contains("Active")',
        },
        {
            trigger: ".o_form_view:not(:has(button[name=action_mlml_activate])) button[name=action_mlml_suspend]",
        },
        {
            content: "The join date is filled in",
            trigger: ".o_field_widget[name=mlml_join_date]:not(.o_field_empty)",
        },
        // The member's credit lines
        {
            content: "Open the credit lines of the member",
            trigger: '.oe_stat_button[name=action_mlml_credit_lines]:contains("Credit Lines")',
            run: "click",
        },
        {
            trigger: '.o_breadcrumb .active:contains("Credit Lines")',
        },
        {
            content: "Open the submitted line",
            trigger: `.o_list_view .o_data_row:has(.o_field_widget[name=state] .badge:contains("Submitted")) .o_data_cell[name=partner_id]:contains("${MEMBER}")`,
            run: "click",
        },
        {
            content: "The line is submitted",
            trigger: '.o_form_view .o_field_widget[name=state] .o_arrow_button_current:contains("Submitted")',
        },
        {
            content: "Approve the line",
            trigger: '.o_form_view .o_form_statusbar button[name=action_approve]:contains("Approve")',
            run: "click",
        },
        {
            content: "The line is approved",
            trigger: '.o_form_view .o_field_widget[name=state] .o_arrow_button_current[data-value=approved]:contains("Approved")',
        },
        {
            content: "The decision is recorded",
            trigger: ".o_form_view .o_field_widget[name=decided_by_id]:not(.o_field_empty)",
        },
    ],
});

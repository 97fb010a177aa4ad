/** @odoo-module **/

import { registry } from "@web/core/registry";

const REFRESH = "button[name=action_mlml_refresh_directory]";

/**
 * An MLML manager refreshes the member directory from the kanban the menu
 * opens, finds the button in the list too, and again on a member's form; each
 * time a notification says what changed. Run by
 * ``tests/test_directory_refresh.py`` (one member to add, one to update, one
 * no longer listed).
 */
registry.category("web_tour.tours").add("mlml_barter_directory_refresh", {
    url: "/odoo/action-mlml_barter.res_partner_mlml_member_action",
    steps: () => [
        {
            content: "The directory opens as cards, with the refresh button",
            trigger: `.o_kanban_view .o_kanban_record:contains("Boulangerie B")`,
        },
        {
            content: "Refresh from the kanban",
            trigger: `.o_control_panel ${REFRESH}`,
            run: "click",
        },
        {
            content: "What changed is said",
            trigger: `.o_notification:contains("1 member(s) added, 1 updated, 1 unchanged, 1 no longer in the directory"):contains("Ébénisterie E")`,
        },
        {
            content: "The new member is in the directory",
            trigger: `.o_kanban_record:contains("Droguerie D")`,
        },
        {
            content: "Close the notification",
            trigger: ".o_notification .o_notification_close",
            run: "click",
        },
        {
            content: "Switch to the list",
            trigger: ".o_switch_view.o_list",
            run: "click",
        },
        {
            content: "The list has the button too",
            trigger: `.o_list_view .o_control_panel ${REFRESH}`,
        },
        {
            content: "Open the new member",
            trigger: `.o_data_row:contains("Droguerie D") .o_data_cell[name=display_name]`,
            run: "click",
        },
        {
            content: "Refresh from the member's form",
            trigger: `.o_form_view .o_form_statusbar ${REFRESH}`,
            run: "click",
        },
        {
            content: "Nothing changed this time",
            trigger: `.o_notification:contains("0 member(s) added, 0 updated, 3 unchanged, 0 no longer in the directory")`,
        },
    ],
});

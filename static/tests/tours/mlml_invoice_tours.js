/** @odoo-module **/

import { registry } from "@web/core/registry";
import { stepUtils } from "@web_tour/tour_service/tour_utils";

const CUSTOMER = "Brasserie des Flandres";
const PRODUCT = "Conseil MLML";
const MLML_GROUP = ".o_form_view .o_mlml_group";

/**
 * A selector matching the field ``name`` of the MLML group showing exactly
 * ``amount`` ("500.00" matches "500.00 €", not "1,500.00" nor "-500.00"): in its
 * input while editable, in its text once read-only.
 */
function amountIs(name, amount, editable = false) {
    const pattern = `/^[^\\d-]*${amount.replace(/[.,]/g, "\\$&")}\\D*$/`;
    const field = `${MLML_GROUP} .o_field_widget[name=${name}]`;
    return editable ? `${field} input:value(${pattern})` : `${field}:contains(${pattern})`;
}

/**
 * A salesperson (Invoicing › Billing only) invoices an active member: the MLML
 * group proposes the company's share, then she confirms and prints the
 * invoice. Run by ``tests/test_invoice_tours.py``, which makes the company and
 * the customer active members, the company's share 50 % and the product.
 */
registry.category("web_tour.tours").add("mlml_barter_salesperson_mixed_invoice", {
    url: "/odoo",
    steps: () => [
        // Invoicing › Customers › Invoices
        ...stepUtils.goToAppSteps("account.menu_finance", "Open the Invoicing app"),
        {
            content: "Open the Customers menu",
            trigger: '.o_main_navbar button[data-menu-xmlid="account.menu_finance_receivables"]',
            run: "click",
        },
        {
            content: "Open the customer invoices",
            trigger:
                '.dropdown-item[data-menu-xmlid="account.menu_action_move_out_invoice_type"]',
            run: "click",
        },
        {
            trigger: '.o_breadcrumb .active:contains("Invoices")',
        },
        {
            content: "Create an invoice",
            trigger: ".o_control_panel_main_buttons .o_list_button_add",
            run: "click",
        },
        // The customer
        {
            content: "Type the customer",
            trigger: ".o_form_view .o_form_editable .o_field_widget[name=partner_id] input",
            run: `edit ${CUSTOMER}`,
        },
        {
            content: "Choose the customer",
            trigger: `.o-autocomplete--dropdown-menu .ui-menu-item a:contains("${CUSTOMER}")`,
            run: "click",
        },
        {
            content: "The customer is an active member",
            trigger: `${MLML_GROUP} .o_field_widget[name=mlml_member_state] .badge:contains("Active")`,
        },
        {
            content: "The company's share is proposed",
            trigger: amountIs("mlml_share", "50.00", true),
        },
        // The line
        {
            content: "Add a line",
            trigger: "div[name=invoice_line_ids] .o_field_x2many_list_row_add a",
            run: "click",
        },
        {
            content: "Type the product",
            trigger: "div[name=invoice_line_ids] .o_selected_row .o_list_many2one[name=product_id] input",
            run: `edit ${PRODUCT}`,
        },
        {
            content: "Choose the product",
            trigger: `.o-autocomplete--dropdown-menu .ui-menu-item a:contains("${PRODUCT}")`,
            run: "click",
        },
        {
            content: "The product's price is proposed",
            trigger:
                "div[name=invoice_line_ids] .o_selected_row .o_field_widget[name=price_unit] input:value(/^1,000\\.00$/)",
        },
        {
            content: "The product's 20 % VAT is proposed",
            trigger:
                'div[name=invoice_line_ids] .o_selected_row .o_field_widget[name=tax_ids] .o_tag:contains("20%")',
        },
        {
            content: "The total includes the VAT",
            trigger: '.o_form_view .o_field_widget[name=tax_totals]:contains("1,200.00")',
        },
        {
            content: "Half of the untaxed amount is payable in MLML",
            trigger: amountIs("mlml_amount", "500.00", true),
        },
        {
            content: "The rest and the VAT are payable in euros, while typing",
            trigger: amountIs("mlml_cash_amount", "700.00"),
        },
        ...stepUtils.saveForm(),
        // Confirm
        {
            content: "Confirm the invoice",
            trigger: '.o_form_view .o_form_statusbar button[name=action_post]:contains("Confirm")',
            run: "click",
        },
        {
            content: "The invoice is posted",
            trigger:
                '.o_form_view .o_statusbar_status .o_arrow_button_current[data-value=posted]:contains("Posted")',
        },
        {
            content: "The invoice has its number",
            trigger: ".o_form_view .o_breadcrumb .active:contains(/^[A-Z]+\\/\\d{4}\\/\\d+$/)",
        },
        {
            content: "The parts are still there, fixed once posted",
            trigger: amountIs("mlml_amount", "500.00"),
        },
        {
            content: "Nothing is paid yet in MLML",
            trigger: amountIs("mlml_residual", "500.00"),
        },
        {
            content: "Nor in euros",
            trigger: amountIs("mlml_cash_residual", "700.00"),
        },
        // Print
        {
            content: "Print the invoice",
            trigger: '.o_form_view .o_form_statusbar button[name=action_print_pdf]:contains("Print")',
            run: "click",
        },
        {
            content: "The invoice is shown",
            trigger: ".o_action iframe:iframe .page #total",
        },
        {
            content: "The printed invoice is the customer's",
            trigger: `.o_action iframe:iframe div:contains("${CUSTOMER}")`,
        },
        {
            content: "The printed invoice has the line",
            trigger: `.o_action iframe:iframe .page [name=invoice_line_table]:contains("${PRODUCT}")`,
        },
        {
            content: "The printed total includes the VAT",
            trigger: '.o_action iframe:iframe .page #total:contains("1,200.00")',
        },
        {
            content: "The printed invoice tells the part payable in MLML",
            trigger: ".o_action iframe:iframe .page:contains(/Of which payable in MLML\\D*500\\.00/)",
        },
        {
            content: "The printed invoice tells the part payable in euros",
            trigger: ".o_action iframe:iframe .page:contains(/payable in euros\\D*700\\.00/)",
        },
    ],
});

/**
 * An accountant registers the MLML part of a posted mixed invoice from the
 * barter journal. Run by ``tests/test_invoice_tours.py``, which posts the
 * invoice (1,000.00 + 20 % VAT, 50 % in MLML).
 */
registry.category("web_tour.tours").add("mlml_barter_accountant_registers_mlml_part", {
    url: "/odoo/action-account.action_move_out_invoice_type",
    steps: () => [
        {
            trigger: '.o_breadcrumb .active:contains("Invoices")',
        },
        // The invoices whose MLML part is unpaid
        {
            content: "Open the filters",
            trigger: ".o_control_panel .o_searchview_dropdown_toggler",
            run: "click",
        },
        {
            content: "Show the invoices whose MLML part is unpaid",
            trigger: '.o_filter_menu .o_menu_item:contains("MLML Part Unpaid")',
            run: "click",
        },
        {
            trigger: '.o_searchview_facet:contains("MLML Part Unpaid")',
        },
        {
            content: "Close the filters",
            trigger: ".o_control_panel .o_searchview_dropdown_toggler",
            run: "click",
        },
        {
            content: "Open the mixed invoice",
            trigger: `.o_list_view .o_data_row .o_data_cell:contains("${CUSTOMER}")`,
            run: "click",
        },
        {
            trigger: `.o_form_view .o_field_widget[name=partner_id]:contains("${CUSTOMER}")`,
        },
        {
            content: "The MLML part is unpaid",
            trigger: amountIs("mlml_residual", "500.00"),
        },
        // Register Payment
        {
            content: "Register a payment",
            trigger: '.o_form_view .o_form_statusbar button[name=action_register_payment]:contains("Pay")',
            run: "click",
        },
        {
            trigger: ".modal .o_form_view .o_field_widget[name=journal_id] input",
            run: "edit MLML",
        },
        {
            content: "Choose the barter journal",
            trigger: '.o-autocomplete--dropdown-menu .ui-menu-item a:contains("MLML")',
            run: "click",
        },
        {
            trigger: '.modal .o_field_widget[name=journal_id] input:value("MLML")',
        },
        {
            content: "The MLML part is proposed",
            trigger: ".modal .o_field_widget[name=amount] input:value(/^500\\.00$/)",
        },
        {
            content: "Create the payment",
            trigger: '.modal .modal-footer button[name=action_create_payments]:contains("Create Payment")',
            run: "click",
        },
        // The invoice
        {
            trigger: "body:not(:has(.modal))",
        },
        {
            content: "The invoice is partially paid",
            trigger: '.o_form_view .ribbon:contains("Partial")',
        },
        {
            content: "The payment is listed under the totals",
            trigger: '.o_form_view .o_field_widget[name=invoice_payments_widget]:contains("500.00")',
        },
        {
            content: "The MLML part is paid",
            trigger: amountIs("mlml_residual", "0.00"),
        },
        {
            content: "The euros remain to be paid",
            trigger: amountIs("mlml_cash_residual", "700.00"),
        },
        {
            content: "The MLML part no longer changes",
            trigger: amountIs("mlml_amount", "500.00"),
        },
    ],
});

/**
 * Every field of the MLML group shows its whole value: nothing cut, nothing
 * overlapping (the group had been squeezed beside the totals).
 */
function mlmlGroupReadable() {
    return {
        content: "Every MLML field is fully readable",
        trigger: `${MLML_GROUP} .o_field_widget[name=mlml_amount]`,
        run() {
            const cut = [];
            for (const field of document.querySelectorAll(`${MLML_GROUP} .o_field_widget`)) {
                for (const el of [field, ...field.querySelectorAll("input, span")]) {
                    if (el.offsetParent && el.scrollWidth > el.clientWidth + 1) {
                        cut.push(field.getAttribute("name"));
                        break;
                    }
                }
            }
            const labels = [...document.querySelectorAll(`${MLML_GROUP} .o_form_label`)];
            for (const label of labels) {
                if (label.scrollWidth > label.clientWidth + 1) {
                    cut.push(label.textContent);
                }
            }
            if (cut.length) {
                throw new Error(`MLML fields cut: ${cut.join(", ")}`);
            }
        },
    };
}

/**
 * An accountant working in French opens a draft mixed invoice (1 000,00 € HT,
 * 30 % in MLML): the share reads "30,00" and the MLML part "300,00", both
 * editable. Run by ``tests/test_invoice_tours.py``.
 */
registry.category("web_tour.tours").add("mlml_barter_invoice_form_fr_draft", {
    steps: () => [
        {
            content: "La part MLML proposée",
            trigger: amountIs("mlml_share", "30,00", true),
        },
        {
            content: "Le montant MLML",
            trigger: amountIs("mlml_amount", "300,00", true),
        },
        {
            content: "La part en euros, TVA comprise",
            trigger: amountIs("mlml_cash_amount", "900,00"),
        },
        {
            content: "Le membre est actif",
            trigger: `${MLML_GROUP} .o_field_widget[name=mlml_member_state] .badge:contains("Actif")`,
        },
        mlmlGroupReadable(),
        {
            content: "Taper un montant MLML déplace la part aussitôt",
            trigger: `${MLML_GROUP} .o_field_widget[name=mlml_amount] input`,
            run: "edit 250,00 && press Tab",
        },
        {
            content: "La part suit le montant",
            trigger: amountIs("mlml_share", "25,00", true),
        },
        ...stepUtils.discardForm(),
    ],
});

/**
 * The same invoice once posted: the values read in French, the MLML part in
 * MLML, and nothing left to edit.
 */
registry.category("web_tour.tours").add("mlml_barter_invoice_form_fr_posted", {
    steps: () => [
        {
            content: "La part MLML",
            trigger: amountIs("mlml_share", "30,00"),
        },
        {
            content: "Le montant MLML, en MLML",
            trigger: `${MLML_GROUP} .o_field_widget[name=mlml_amount]:contains(/^300,00\\sMLML$/)`,
        },
        {
            content: "Le reste à payer en MLML",
            trigger: amountIs("mlml_residual", "300,00"),
        },
        {
            content: "Le reste à payer en euros",
            trigger: `${MLML_GROUP} .o_field_widget[name=mlml_cash_residual]:contains(/^900,00\\s€$/)`,
        },
        {
            content: "Une facture validée ne change plus sa part",
            trigger: `${MLML_GROUP}:not(:has(.o_field_widget[name=mlml_share] input))`,
        },
        mlmlGroupReadable(),
    ],
});

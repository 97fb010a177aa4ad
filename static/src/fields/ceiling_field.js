/** @odoo-module **/

import { _t } from "@web/core/l10n/translation";
import { registry } from "@web/core/registry";
import { MonetaryField, monetaryField } from "@web/views/fields/monetary/monetary_field";

/**
 * A balance ceiling: 0 means the balance has no ceiling, and reads so
 * ("no ceiling"), not "0.00 MLML". Edited as any amount.
 */
export class CeilingField extends MonetaryField {
    get formattedValue() {
        if (this.props.readonly && !this.value) {
            return _t("no ceiling");
        }
        return super.formattedValue;
    }
}

registry.category("fields").add("mlml_ceiling", {
    ...monetaryField,
    component: CeilingField,
});

import logging

from dateutil.relativedelta import relativedelta
from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import convert_file

from odoo.addons.base.models.ir_model import MODULE_UNINSTALL_FLAG

_logger = logging.getLogger(__name__)

# The demo's payments: (name, document paid, paid in MLML?, months and days ago), the
# xml ids being account_payment_mlml_demo_<name> and account_move_mlml_<document>.
# In this order the balance stays within the company's credit line at each step.
DEMO_PAYMENTS = [
    ("beffroi_mlml", "invoice_beffroi", True, 3, 25),
    ("beffroi_cash", "invoice_beffroi", False, 3, 15),
    ("nettoyage_mlml", "bill_nettoyage", True, 3, 0),
    ("nettoyage_cash", "bill_nettoyage", False, 2, 25),
    ("hennebique_mlml", "invoice_hennebique", True, 2, 20),
    ("formaction_cash", "invoice_formaction", False, 1, 20),
    ("lemaire_mlml", "bill_lemaire", True, 1, 15),
]
DEMO_REFUSED = "account_payment_mlml_demo_refused"
# The demo's documents, which need the company's chart of accounts.
DEMO_DOCUMENTS = ["demo/account_move_demo.xml", "demo/mlml_demo.xml"]


class MlmlDemo(models.AbstractModel):
    """Brings the demo's documents to life: posted, paid, one payment refused."""

    _name = "mlml.demo"
    _description = "Barter Demo Data"

    @api.model
    def _mlml_demo_documents(self):
        """Load the demo's invoices and payments once the company has its chart.

        Installed from *Apps* on a database whose company has no chart of
        accounts yet, Invoicing and the localisation come in the same go and
        Odoo loads the chart only once every module is loaded: after this demo
        data, whose invoices need the chart's journals. The documents then
        wait for that moment (``IrModuleModule._register_hook``).
        """
        if not self.env.ref("base.main_company").chart_template:
            self.env.registry._mlml_demo_pending = True
            return
        # Loaded once, as Odoo loads demo data: on a later update of the add-on, the
        # documents already there are left as they are.
        loaded = self.env.ref("mlml_barter.account_move_mlml_invoice_beffroi", False)
        for name in DEMO_DOCUMENTS:
            convert_file(
                self.env,
                "mlml_barter",
                name,
                {},
                mode="update" if loaded else "init",
                noupdate=True,
                kind="demo",
            )

    @api.model
    def _mlml_load_demo(self, move_xmlids):
        """Post the demo's documents and pay them as an accountant would.

        The payments go through Register Payment, in the barter journal for the
        MLML part and in the bank journal for the euros; then a payment above
        the company's available credit is refused by the bounds check and kept
        in draft, with the refusal in its chatter.
        """
        if self.env.ref(f"mlml_barter.{DEMO_REFUSED}", raise_if_not_found=False):
            return
        company = self.env.ref("base.main_company")
        lang = company.partner_id.lang
        if not lang or not self.env["res.lang"]._lang_get(lang):
            lang = self.env.lang
        demo = self.with_company(company).with_context(lang=lang)
        moves = demo.env["account.move"].browse(
            [demo.env.ref(f"mlml_barter.{xmlid}").id for xmlid in move_xmlids]
        )
        moves.filtered(lambda move: move.state == "draft").action_post()

        barter_journal = company.mlml_journal_id
        cash_journal = demo.env["account.journal"].search(
            [
                *demo.env["account.journal"]._check_company_domain(company),
                ("type", "=", "bank"),
                ("id", "!=", barter_journal.id),
                ("currency_id", "in", [False, company.currency_id.id]),
            ],
            limit=1,
        )
        today = fields.Date.context_today(demo)
        for name, document, in_barter, months, days in DEMO_PAYMENTS:
            move = demo.env.ref(f"mlml_barter.account_move_mlml_{document}")
            wizard = (
                demo.env["account.payment.register"]
                .with_context(active_model="account.move", active_ids=move.ids)
                .create(
                    {
                        "journal_id": (barter_journal if in_barter else cash_journal).id,
                        "payment_date": today - relativedelta(months=months, days=days),
                    }
                )
            )
            demo._mlml_demo_xmlid(f"account_payment_mlml_demo_{name}", wizard._create_payments())
            # Nothing to keep of the wizard, which would hold on to the member.
            wizard.unlink()

        refused = demo.env["account.payment"].create(
            {
                "payment_type": "outbound",
                "partner_type": "supplier",
                "partner_id": demo.env.ref("mlml_barter.res_partner_mlml_atelier_hennebique").id,
                "amount": 7000.0,
                "journal_id": barter_journal.id,
                "date": today - relativedelta(days=3),
                "memo": demo.env._("Down payment on the refitting of the workshop"),
            }
        )
        demo._mlml_demo_xmlid(DEMO_REFUSED, refused)
        try:
            with demo.env.cr.savepoint():
                refused.action_post()
        except UserError as error:
            reason = Markup("<br/>").join(str(error.args[0]).splitlines())
            refused.message_post(
                body=Markup("<p>{}</p><p>{}</p>").format(
                    demo.env._("Posting refused by the credit line check:"), reason
                ),
                message_type="comment",
                subtype_xmlid="mail.mt_note",
            )

    def _mlml_demo_xmlid(self, name, records):
        """Name what the demo creates, so that uninstalling the add-on removes it."""
        self.env["ir.model.data"]._update_xmlids(
            [
                {"xml_id": f"mlml_barter.{name}", "record": record, "noupdate": True}
                for record in records
            ]
        )


class AccountPayment(models.Model):
    """Uninstalling the add-on removes the demo's payments.

    Odoo deletes a payment only once it is back in draft (a posted payment
    whose entry is deleted breaks its constraint): the payments named by the
    add-on's data go back to draft first. Uninstalling deletes the newest
    first, so that each step back keeps the balance within the credit line.
    """

    _inherit = "account.payment"

    def unlink(self):
        if self.env.context.get(MODULE_UNINSTALL_FLAG):
            self.filtered(lambda payment: payment.state not in ("draft", "canceled")).action_draft()
        return super().unlink()


class IrModuleModule(models.Model):
    """The demo's documents, when they waited for the company's chart."""

    _inherit = "ir.module.module"

    def _register_hook(self):
        # Odoo's own hook loads the chart of a company that had none.
        super()._register_hook()
        registry = self.env.registry
        if not getattr(registry, "_mlml_demo_pending", False):
            return
        del registry._mlml_demo_pending
        demo = self.env["mlml.demo"]
        try:
            with self.env.cr.savepoint():
                demo._mlml_demo_documents()
        except Exception:
            _logger.exception("The demo's invoices and payments could not be loaded")

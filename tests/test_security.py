"""What the interface forbids, the server forbids too.

Each test runs an attack found over JSON-RPC, as the user who tried it and
through the same call and context, and checks that it is refused and that
nothing was written: balances, lines, entries and chatter as they were.
"""

import json
import math

from odoo import Command, fields
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import Form, HttpCase, new_test_user, tagged
from odoo.tools import mute_logger

from .test_payment import MlmlPaymentCommon

NBSP = "\N{NO-BREAK SPACE}"


class MlmlSecurityCommon(MlmlPaymentCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.billing = cls.create_user("sec_billing", "account.group_account_invoice")
        cls.manager = cls.create_user("sec_manager", "account.group_account_manager")
        cls.internal = cls.create_user("sec_internal", "base.group_user")
        cls.internal.groups_id -= cls.env.ref("mlml_barter.group_mlml_user")

    def snapshot(self, *records):
        """What a user would look at: the balance, and every record's chatter."""
        self.env.invalidate_all()
        company = self.env.company
        return {
            "balance": company.mlml_balance,
            "ledger": self.env["mlml.balance"]._ledger_balances(company).get(company, 0.0),
            "messages": self.env["mail.message"].search_count([]),
            "activities": self.env["mail.activity"].search_count([]),
            "moves": self.env["account.move"].search_count([("state", "=", "posted")]),
            "records": [record.read()[0] if record.exists() else None for record in records],
        }

    def entry(self, partner, amount=20.0):
        """A general-journal entry of ``amount`` MLML on the barter account."""
        return self.env["account.move"].create(
            {
                "move_type": "entry",
                "date": fields.Date.today(),
                "line_ids": [
                    Command.create(
                        {
                            "account_id": self.barter_account.id,
                            "currency_id": self.mlml.id,
                            "amount_currency": amount,
                            "balance": amount,
                            "partner_id": partner.id,
                        }
                    ),
                    Command.create(
                        {
                            "account_id": self.company_data["default_account_revenue"].id,
                            "balance": -amount,
                        }
                    ),
                ],
            }
        )


@tagged("post_install", "-at_install")
class TestSecurity(MlmlSecurityCommon):
    # 1. Credit line bypassed by a context key
    def test_1_context_key_does_not_force_a_payment(self):
        self.pay(800.0)
        payment = self.pay(300.0, post=False)
        before = self.snapshot(payment, payment.move_id)
        forged = {"payment_ids": [payment.id], "reason": "Je force"}
        for user in (self.billing, self.manager):
            with (
                self.subTest(user=user.login),
                self.assert_refused(UserError, f"100.00{NBSP}MLML short"),
            ):
                payment.with_user(user).with_context(mlml_bounds_override=forged).action_post()
            self.assertEqual(self.snapshot(payment, payment.move_id), before)
        self.assertEqual(payment.state, "draft")
        self.assertNotIn("forced", " ".join(payment.move_id.message_ids.mapped("body")))

    def test_1_context_key_does_not_force_an_entry(self):
        self.pay(990.0)
        entry = self.entry(self.member, amount=-20.0)
        before = self.snapshot(entry)
        forged = {"move_ids": [entry.id], "reason": "Je force"}
        with self.assert_refused(UserError, f"10.00{NBSP}MLML short"):
            entry.with_user(self.billing).with_context(mlml_bounds_override=forged).action_post()
        self.assertEqual(self.snapshot(entry), before)
        self.assertEqual(entry.state, "draft")

    def test_1_the_override_wizard_still_forces_for_a_manager(self):
        self.pay(800.0)
        payment = self.pay(300.0, post=False)
        wizard = (
            self.env["mlml.bounds.override"]
            .with_user(self.manager)
            .with_context(active_model="account.payment", active_ids=payment.ids)
            .create({"reason": "Accord de la chambre du 27/11"})
        )
        wizard.action_confirm()
        self.assertEqual(payment.state, "paid")
        self.assert_balance(-1100.0)
        self.assertIn(
            f"Barter bounds forced by {self.manager.name}: Accord de la chambre du 27/11",
            payment.message_ids[0].body,
        )
        # The manager forced this payment only.
        with self.assert_refused(UserError, "MLML short"):
            self.pay(1.0)

    # 4. Membership checked at creation only
    def test_4_membership_checked_when_posting(self):
        payment = self.pay(10.0, post=False)
        self.member.action_mlml_suspend("Unpaid membership fee")
        before = self.snapshot(payment)
        with self.assert_refused(
            ValidationError, "Imprimerie Lilloise is not an active member of the network"
        ):
            payment.with_user(self.billing).action_post()
        self.assertEqual(self.snapshot(payment), before)
        self.assertEqual(payment.state, "draft")

    def test_4_company_membership_checked_when_posting(self):
        payment = self.pay(10.0, post=False)
        self.env.company.partner_id.action_mlml_suspend("Unpaid membership fee")
        before = self.snapshot(payment)
        with self.assert_refused(ValidationError, "is not an active member of the network"):
            payment.with_user(self.billing).action_post()
        self.assertEqual(self.snapshot(payment), before)

    # 5. Another company's figures through the statement wizard
    def test_5_statement_of_another_company_is_refused(self):
        other = self.setup_other_company(name="MLML Tourcoing")["company"]
        Wizard = self.env["mlml.statement.wizard"].with_user(self.billing)
        with self.assert_refused(AccessError, "You do not work for MLML Tourcoing"):
            Wizard.create({"company_id": other.id})
        self.assertFalse(self.env["mlml.statement.wizard"].search([("company_id", "=", other.id)]))
        own = Wizard.create({})
        self.assertEqual(own.company_id, self.env.company)
        self.assertEqual(own._mlml_report_values()["credit_limit"], 1000.0)

    # 6. One company's manager suspends another company
    def test_6_manager_of_one_company_cannot_suspend_another(self):
        other = self.setup_other_company(name="MLML Roubaix")["company"]
        other.partner_id.write(
            {
                "mlml_member_state": "candidate",
                "mlml_member_number": "MLML-0002",
                "mlml_charter_date": "2025-12-01",
            }
        )
        other.partner_id.action_mlml_activate()
        before = self.snapshot(other.partner_id)
        with self.assert_refused(AccessError, "only an MLML manager of MLML Roubaix"):
            other.partner_id.with_user(self.manager).action_mlml_suspend("Unpaid membership fee")
        self.assertEqual(self.snapshot(other.partner_id), before)
        self.assertEqual(other.partner_id.mlml_member_state, "active")
        # A manager of both companies may; the company's own partner too.
        self.manager.company_ids += other
        other.partner_id.with_user(self.manager).action_mlml_suspend("Unpaid membership fee")
        self.assertEqual(other.partner_id.mlml_member_state, "suspended")

    # 7. Credit lines and balances readable by anyone
    def test_7_figures_are_for_mlml_users(self):
        portal = new_test_user(self.env, login="sec_portal", groups="base.group_portal")
        for user, model, record, names in (
            (self.internal, "res.partner", self.member, ["mlml_credit_limit"]),
            (self.internal, "res.partner", self.member, ["mlml_balance_ceiling"]),
            (self.internal, "res.company", self.env.company, ["mlml_balance"]),
            (portal, "res.company", self.env.company, ["mlml_balance"]),
            (portal, "res.company", self.env.company, ["mlml_credit_limit"]),
            (portal, "res.company", self.env.company, ["mlml_available_credit"]),
            (portal, "res.company", self.env.company, ["mlml_credit_line_id"]),
        ):
            with self.subTest(user=user.login, field=names[0]), self.assertRaises(AccessError):
                self.env[model].with_user(user).search_read([("id", "=", record.id)], names)
        rows = (
            self.env["res.partner"]
            .with_user(self.billing)
            .search_read([("id", "=", self.member.id)], ["mlml_credit_limit"])
        )
        self.assertEqual(rows[0]["mlml_credit_limit"], 0.0)
        company = self.env.company.with_user(self.billing).read(["mlml_available_credit"])
        self.assertEqual(company[0]["mlml_available_credit"], 1000.0)

    def test_7_views_load_without_the_figures(self):
        Partner = self.env["res.partner"].with_user(self.internal)
        member_list = self.env.ref("mlml_barter.res_partner_view_list_mlml")
        for view_id, kind in ((False, "form"), (False, "list"), (member_list.id, "list")):
            with self.subTest(view=view_id, kind=kind):
                arch = Partner.get_views([(view_id, kind), (False, "search")])["views"][kind]
                self.assertNotIn('name="mlml_credit_limit"', arch["arch"])
        arch = (
            self.env["res.partner"]
            .with_user(self.billing)
            .get_views([(member_list.id, "list")])["views"]["list"]["arch"]
        )
        self.assertIn('name="mlml_credit_limit"', arch)

    # 8. Decisions forged with plain write/create
    def test_8_decisions_only_through_the_buttons(self):
        line = self.create_line(self.member, "approved", limit=1000.0)
        Line = self.env["mlml.credit.line"].with_user(self.manager)
        before = self.snapshot(line)
        attacks = {
            "back to draft": {"state": "draft"},
            "another approver": {"decided_by_id": self.billing.id},
            "another date": {"decided_on": "2020-01-01 00:00:00"},
        }
        for label, values in attacks.items():
            with (
                self.subTest(label),
                self.assert_refused(AccessError, "change only with its buttons"),
            ):
                line.with_user(self.manager).write(values)
        with self.assert_refused(UserError, "decided lines stay in the history"):
            line.with_user(self.manager).unlink()
        with self.assert_refused(UserError, "Submit a new line instead"):
            line.with_user(self.manager).write({"credit_limit": 1000000.0})
        self.assertEqual(self.snapshot(line), before)
        stranger = self.create_member("Non membre SA", state="none")
        for values in ({"state": "approved"}, {"decided_by_id": self.manager.id}):
            with (
                self.subTest(values),
                self.assert_refused(UserError, "create the line without"),
            ):
                Line.create({"partner_id": stranger.id, "credit_limit": 50.0, **values})
        self.assertFalse(self.env["mlml.credit.line"].search([("partner_id", "=", stranger.id)]))

    def test_8_refused_lines_are_kept(self):
        line = self.create_line(self.member, "submitted")
        line.decision_note = "Bilan insuffisant."
        line.with_user(self.manager).action_refuse()
        self.assertEqual(line.decided_by_id, self.manager)
        with self.assert_refused(UserError, "decided lines stay in the history"):
            line.with_user(self.manager).unlink()
        self.assertTrue(line.exists())

    # 9. Member check on payments only
    def test_9_entry_with_a_non_member_is_refused(self):
        entry = self.entry(self.partner_a)
        before = self.snapshot(entry)
        with self.assert_refused(
            UserError, "moves the barter account with partner_a, which is not an active member"
        ):
            entry.with_user(self.billing).action_post()
        self.assertEqual(self.snapshot(entry), before)
        self.assertEqual(entry.state, "draft")
        # With a member it goes through; reversing it later stays possible.
        trade = self.entry(self.member)
        trade.with_user(self.billing).action_post()
        self.assert_balance(20.0)
        self.member.action_mlml_suspend("Unpaid membership fee")
        trade._reverse_moves(cancel=True)
        self.assert_balance(0.0)

    def test_9_acceptance_rate_only_for_mlml_users(self):
        self.member.mlml_acceptance_rate = 30.0
        before = self.snapshot(self.member)
        with self.assert_refused(AccessError, "Only MLML users change the acceptance rate"):
            self.member.with_user(self.internal).write({"mlml_acceptance_rate": 100.0})
        self.assertEqual(self.snapshot(self.member), before)
        # Contacts follow their company without anybody changing the rate.
        contact = (
            self.env["res.partner"]
            .with_user(self.internal)
            .create({"name": "Jeanne Lemaire", "parent_id": self.member.id})
        )
        self.assertEqual(contact.mlml_acceptance_rate, 30.0)
        self.member.with_user(self.billing).write({"mlml_acceptance_rate": 40.0})
        self.assertEqual(contact.mlml_acceptance_rate, 40.0)

    def test_membership_through_a_context_default_is_refused(self):
        """A default in the context is checked like a value: a salesperson proposes no
        member that way, nor sets an acceptance rate without MLML rights."""
        Partner = self.env["res.partner"].with_user(self.billing)
        count = self.env["res.partner"].search_count([("mlml_member_state", "!=", "none")])
        with self.assert_refused(AccessError, "Only MLML managers change the membership"):
            Partner.with_context(default_mlml_member_state="candidate").create(
                {"name": "Membre glissé par le contexte", "is_company": True}
            )
        with self.assert_refused(AccessError, "Only MLML users change the acceptance rate"):
            self.env["res.partner"].with_user(self.internal).with_context(
                default_mlml_acceptance_rate=100.0
            ).create({"name": "Taux glissé par le contexte", "is_company": True})
        self.assertEqual(
            self.env["res.partner"].search_count([("mlml_member_state", "!=", "none")]), count
        )
        self.assertFalse(
            self.env["res.partner"].search([("name", "like", "glissé par le contexte")])
        )

    # Bad inputs
    def test_bad_numbers_are_refused_with_a_message(self):
        line = self.create_line(self.member, limit=100.0)
        invoice = self.init_invoice("out_invoice", partner=self.member, amounts=[1000.0])
        payment = self.pay(10.0, post=False)
        targets = [
            (line.with_user(self.manager), "credit_limit", "Credit Limit"),
            (line.with_user(self.manager), "balance_ceiling", "Balance Ceiling"),
            (self.member.with_user(self.billing), "mlml_acceptance_rate", "Acceptance Rate (%)"),
            (self.env.company, "mlml_invoice_cap", "MLML Cap per Invoice"),
            (self.env.company, "mlml_default_share", "Default Barter Share (%)"),
            (payment.with_user(self.billing), "amount", "Amount"),
            (invoice.with_user(self.billing), "mlml_share", "MLML Share (%)"),
        ]
        for record, name, label in targets:
            before = self.snapshot(record)
            for value in (math.nan, math.inf, -math.inf, "nan", "Infinity", "abc", [1]):
                with (
                    self.subTest(field=name, value=value),
                    self.assert_refused(ValidationError, f"{label}: “{value}” is not a number"),
                ):
                    record.write({name: value})
            self.assertEqual(self.snapshot(record), before)
        with self.assert_refused(ValidationError, "is not a number"):
            self.env["mlml.credit.line"].with_user(self.manager).create(
                {"partner_id": self.member.id, "credit_limit": "NaN"}
            )

    def test_negative_cap_and_absurd_credit_line(self):
        company = self.env.company
        with self.assert_refused(ValidationError, "cannot be negative (-1.00"):
            company.mlml_invoice_cap = -1.0
        self.assertEqual(company.mlml_invoice_cap, 0.0)
        with self.assert_refused(ValidationError, "beyond any sensible figure"):
            self.create_line(self.member, limit=1e9 + 1)
        line = self.create_line(self.member, limit=1e9, ceiling=1e9)
        self.assertEqual(line.credit_limit, 1e9)
        with self.assert_refused(ValidationError, "beyond any sensible figure"):
            line.balance_ceiling = 1e12
        self.assertEqual(line.balance_ceiling, 1e9)


@tagged("post_install", "-at_install")
class TestBoundsSeenByThePayer(MlmlSecurityCommon):
    """Register Payment: a manager forces there; in warn mode the payer is told."""

    def bill(self, amount):
        self.member.mlml_acceptance_rate = 100.0
        return self.init_invoice("in_invoice", partner=self.member, amounts=[amount], post=True)

    def register(self, bill, user, **values):
        form = Form(
            self.env["account.payment.register"]
            .with_user(user)
            .with_context(active_model="account.move", active_ids=bill.ids)
        )
        form.journal_id = self.journal
        for name, value in values.items():
            setattr(form, name, value)
        return form.save()

    def test_manager_forces_from_register_payment(self):
        bill = self.bill(1200.0)
        wizard = self.register(bill, self.billing)
        self.assertFalse(wizard.mlml_may_force)
        with self.assert_refused(UserError, "An MLML manager may force this entry"):
            wizard.action_create_payments()
        wizard = self.register(bill, self.manager, mlml_bounds_reason="Accord du 28/11")
        self.assertTrue(wizard.mlml_may_force)
        wizard.action_create_payments()
        self.assert_balance(-1200.0)
        payment = bill.matched_payment_ids
        self.assertEqual(payment.state, "paid")
        forced = f"Barter bounds forced by {self.manager.name}: Accord du 28/11"
        self.assertIn(forced, payment.message_ids[0].body)
        self.assertIn(forced, bill.message_ids[0].body)
        self.assertFalse(payment.move_id.activity_ids, "a manager's decision needs no review")

    def test_billing_user_cannot_force_from_register_payment(self):
        bill = self.bill(1200.0)
        wizard = self.register(bill, self.billing)
        wizard.mlml_bounds_reason = "Je force"
        before = self.snapshot(bill)
        with self.assert_refused(AccessError, "Only MLML managers force"):
            wizard.action_create_payments()
        self.assertEqual(self.snapshot(bill), before)
        self.assertEqual(bill.payment_state, "not_paid")

    def test_warn_mode_tells_the_payer_and_logs_on_payment_and_invoice(self):
        self.env.company.mlml_limit_mode = "warn"
        bill = self.bill(1200.0)
        action = self.register(bill, self.billing).action_create_payments()
        self.assertEqual(action["tag"], "display_notification")
        self.assertIn(f"200.00{NBSP}MLML short", action["params"]["message"])
        payment = bill.matched_payment_ids
        self.assertEqual(action["params"]["next"]["res_id"], payment.id)
        self.assertEqual(action["params"]["next"]["views"], [(False, "form")])
        self.assert_balance(-1200.0)
        warning = "Warning: this entry takes the barter balance past the credit line."
        self.assertIn(warning, payment.message_ids[0].body)
        self.assertIn(warning, bill.message_ids[0].body)
        activities = payment.move_id.activity_ids
        self.assertIn(self.manager, activities.user_id)
        # Named after the payment the user knows, not "Draft Entry".
        for activity in activities:
            self.assertTrue(activity.res_name.startswith(payment.name), activity.res_name)
            self.assertEqual(
                activity.summary, f"{payment.name} took the barter balance past its bounds"
            )

    def test_warn_mode_on_a_payment_form(self):
        self.env.company.mlml_limit_mode = "warn"
        self.pay(800.0)
        payment = self.pay(300.0, post=False)
        action = payment.with_user(self.billing).action_post()
        self.assertEqual(action["tag"], "display_notification")
        self.assertEqual(payment.state, "paid")
        self.assertIn("Warning: this entry", payment.message_ids[0].body)

    def test_amounts_in_messages_read_as_the_user_reads_them(self):
        self.env["res.lang"]._activate_lang("fr_FR")
        with self.assert_refused(ValidationError, f"0,00{NBSP}MLML"):
            self.env["account.payment"].with_context(lang="fr_FR").create(
                {
                    "payment_type": "outbound",
                    "partner_type": "supplier",
                    "partner_id": self.member.id,
                    "amount": 0.0,
                    "journal_id": self.journal.id,
                }
            )

    def test_activities_in_the_language_of_their_user(self):
        self.env["res.lang"]._activate_lang("fr_FR")
        self.manager.lang = "fr_FR"
        english = self.create_user("sec_manager_en", "account.group_account_manager")
        english.lang = "en_US"
        line = self.create_line(self.member)
        # Submitted by someone reading French: each manager reads their own language.
        line.with_context(lang="fr_FR").action_submit()
        summaries = {a.user_id: a.summary for a in line.activity_ids}
        self.assertEqual(summaries[self.manager], "Approuver ou refuser la ligne de crédit soumise")
        self.assertEqual(summaries[english], "Approve or refuse the submitted credit line")


@tagged("post_install", "-at_install")
class TestSecurityRpc(MlmlSecurityCommon, HttpCase):
    """Attacks 1 and 5 through real JSON-RPC, with a session of the attacking user."""

    def call_kw(self, login, model, method, args, kwargs=None):
        self.authenticate(login, login)
        payload = {
            "jsonrpc": "2.0",
            "method": "call",
            "id": 1,
            "params": {
                "model": model,
                "method": method,
                "args": args,
                "kwargs": kwargs or {},
            },
        }
        response = self.url_open(
            f"/web/dataset/call_kw/{model}/{method}",
            data=json.dumps(payload),
            headers={"Content-Type": "application/json"},
        )
        response.raise_for_status()
        return response.json()

    def test_1_forged_context_over_json_rpc(self):
        self.pay(800.0)
        payment = self.pay(300.0, post=False)
        self.env.flush_all()
        before = self.snapshot(payment, payment.move_id)
        forged = {"mlml_bounds_override": {"payment_ids": [payment.id], "reason": "Je force"}}
        with mute_logger("odoo.http"):
            answer = self.call_kw(
                "sec_billing",
                "account.payment",
                "action_post",
                [payment.ids],
                {"context": forged},
            )
        self.assertEqual(answer["error"]["data"]["name"], "odoo.exceptions.UserError")
        self.assertIn(f"100.00{NBSP}MLML short", answer["error"]["data"]["message"])
        self.assertEqual(self.snapshot(payment, payment.move_id), before)
        self.assertEqual(payment.state, "draft")

    def test_5_statement_of_another_company_over_json_rpc(self):
        other = self.setup_other_company(name="MLML Tourcoing")["company"]
        self.env.flush_all()
        wizards = self.env["mlml.statement.wizard"].search_count([])
        with mute_logger("odoo.http"):
            answer = self.call_kw(
                "sec_billing",
                "mlml.statement.wizard",
                "create",
                [{"company_id": other.id}],
            )
        self.assertEqual(answer["error"]["data"]["name"], "odoo.exceptions.AccessError")
        self.assertIn("You do not work for MLML Tourcoing", answer["error"]["data"]["message"])
        self.assertEqual(self.env["mlml.statement.wizard"].search_count([]), wizards)
        # The user's own company is fine, through the same call.
        answer = self.call_kw(
            "sec_billing", "mlml.statement.wizard", "create", [{"company_id": self.env.company.id}]
        )
        self.assertIsInstance(answer["result"], int)

from ast import literal_eval

from lxml import etree

from odoo.exceptions import AccessError, ValidationError
from odoo.tests import Form, tagged

from .common import MlmlBarterCommon


@tagged("post_install", "-at_install")
class TestMembership(MlmlBarterCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.member = cls.create_member(
            "Nettoyage du Vieux-Lille",
            number="MLML-0101",
            mlml_offer_ids=[(6, 0, cls.activity_cleaning.ids)],
            mlml_need_ids=[(6, 0, cls.activity_printing.ids)],
        )
        cls.billing_user = cls.create_user("mlml_billing", "account.group_account_invoice")

    def test_every_transition_of_the_table(self):
        partner = self.env["res.partner"].create(
            {"name": "Brasserie de Wazemmes", "is_company": True}
        )
        self.assertEqual(partner.mlml_member_state, "none")
        partner.action_mlml_candidate()
        partner.write({"mlml_member_number": "MLML-0102", "mlml_charter_date": "2026-02-01"})
        for state in ("active", "suspended", "active", "resigned", "candidate", "none"):
            partner.mlml_member_state = state
            self.assertEqual(partner.mlml_member_state, state)

    def test_refused_transitions_say_where_the_member_may_go(self):
        partner = self.env["res.partner"].create({"name": "Sans statut", "is_company": True})
        with self.assert_refused(
            ValidationError,
            "cannot go from “Not a member” to “Active”; from “Not a member” it can become: "
            "“Candidate”",
        ):
            partner.mlml_member_state = "active"
        self.member.action_mlml_resign()
        with self.assert_refused(ValidationError, "cannot go from “Resigned” to “Active”"):
            self.member.mlml_member_state = "active"
        with self.assert_refused(ValidationError, "cannot go from “Resigned” to “Suspended”"):
            self.member.action_mlml_suspend("Unpaid membership fee")
        self.assertEqual(self.member.mlml_member_state, "resigned")
        self.member.action_mlml_candidate()
        self.assertEqual(self.member.mlml_member_state, "candidate")

    def test_activation_needs_number_and_charter_date(self):
        candidate = self.create_member("Traiteur de Roubaix", state="candidate")
        with self.assert_refused(
            ValidationError,
            "Traiteur de Roubaix cannot become an active member yet: fill in the member "
            "number and the date the charter was signed on the MLML tab, then activate the "
            "membership.",
        ):
            candidate.action_mlml_activate()
        candidate.mlml_member_number = "MLML-0103"
        # No pronoun to agree with one field or two, masculine or feminine.
        with self.assert_refused(
            ValidationError, "yet: fill in the date the charter was signed on the MLML tab"
        ):
            candidate.action_mlml_activate()
        self.assertEqual(candidate.mlml_member_state, "candidate")
        candidate.mlml_charter_date = "2026-03-01"
        candidate.action_mlml_activate()
        self.assertEqual(candidate.mlml_member_state, "active")
        self.assertTrue(candidate.mlml_join_date)

    def test_blank_or_unknown_membership_refused_with_the_choices(self):
        candidate = self.create_member("Traiteur de Roubaix", state="candidate")
        for value in (False, "honorary"):
            with (
                self.subTest(value=value),
                self.assert_refused(
                    ValidationError,
                    "Choose the membership of Traiteur de Roubaix: one of “Not a member”, "
                    "“Candidate”, “Active”, “Suspended”, “Resigned”.",
                ),
            ):
                candidate.write({"mlml_member_state": value})
        self.assertEqual(candidate.mlml_member_state, "candidate")

    def test_state_changes_are_tracked_in_the_chatter(self):
        # Odoo tracks records created in an earlier transaction: end the setup's.
        self.env.flush_all()
        self.env.cr.precommit.run()
        self.member.with_context(tracking_disable=False, mail_notrack=False).action_mlml_suspend(
            "Unpaid membership fee"
        )
        self.env.flush_all()
        self.env.cr.precommit.run()
        tracked = self.member.message_ids.sudo().tracking_value_ids.filtered(
            lambda v: v.field_id.name == "mlml_member_state"
        )
        self.assertEqual(
            tracked.mapped(lambda v: (v.old_value_char, v.new_value_char)),
            [("Active", "Suspended")],
        )

    def test_duplicate_member_number_refused(self):
        other = self.create_member("Imprimerie Lambersart", state="candidate")
        with self.assert_refused(
            ValidationError,
            "The member number MLML-0101 is already Nettoyage du Vieux-Lille's",
        ):
            other.mlml_member_number = "MLML-0101"
        self.assertFalse(other.mlml_member_number)

    def test_acceptance_rate_between_0_and_100(self):
        self.member.mlml_acceptance_rate = 30.0
        for rate in (-1.0, 100.5):
            with self.assert_refused(ValidationError, "must be between 0 and 100 %"):
                self.member.mlml_acceptance_rate = rate
        self.assertEqual(self.member.mlml_acceptance_rate, 30.0)

    def test_contacts_carry_the_membership_of_their_company(self):
        contact = (
            self.env["res.partner"]
            .with_user(self.billing_user)
            .create({"name": "Camille Martin", "parent_id": self.member.id})
        )
        self.assertEqual(contact.mlml_member_state, "active")
        self.assertEqual(contact.mlml_member_number, "MLML-0101")
        self.assertTrue(contact._mlml_may_trade())
        self.member.action_mlml_suspend("Unpaid membership fee")
        self.assertEqual(contact.mlml_member_state, "suspended")
        self.assertFalse(contact._mlml_may_trade())

    def test_may_trade_only_for_active_members(self):
        expected = {"active": True, "candidate": False, "suspended": False, "resigned": False}
        for state, may in expected.items():
            partner = self.create_member(f"Membre {state}", state=state, number=f"N-{state}")
            self.assertEqual(partner._mlml_may_trade(), may, state)
        self.assertFalse(self.partner_a._mlml_may_trade())

    def test_billing_user_reads_but_cannot_change_membership(self):
        member = self.member.with_user(self.billing_user)
        self.assertEqual(member.mlml_member_state, "active")
        member.phone = "+33 3 20 00 00 00"  # other fields stay editable
        with self.assert_refused(AccessError, "Only MLML managers change the membership"):
            member.action_mlml_suspend("Unpaid membership fee")
        with self.assert_refused(AccessError, "Only MLML managers change the membership"):
            member.mlml_member_number = "MLML-9999"
        self.assertEqual(self.member.mlml_member_state, "active")

    def test_directory_finds_an_active_member_offering_cleaning(self):
        self.create_member(
            "Nettoyage suspendu",
            state="suspended",
            number="MLML-0104",
            mlml_offer_ids=[(6, 0, self.activity_cleaning.ids)],
        )
        action = self.env.ref("mlml_barter.res_partner_mlml_member_action")
        found = self.env["res.partner"].search(
            [
                *literal_eval(action.domain),
                ("mlml_member_state", "=", "active"),
                ("mlml_offer_ids", "ilike", "nettoyage test"),
            ]
        )
        self.assertEqual(found, self.member)

    def test_matching_members_offer_what_the_member_needs(self):
        printer = self.create_member(
            "Imprimerie de Tourcoing",
            number="MLML-0105",
            mlml_offer_ids=[(6, 0, self.activity_printing.ids)],
        )
        self.create_member(
            "Imprimerie candidate",
            state="candidate",
            mlml_offer_ids=[(6, 0, self.activity_printing.ids)],
        )
        action = self.member.action_mlml_matching_members()
        self.assertEqual(self.env["res.partner"].search(action["domain"]), printer)


@tagged("post_install", "-at_install")
class TestMemberDirectory(MlmlBarterCommon):
    """Whoever sees "New" in the member directory can save what it creates."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.salesperson = cls.create_user("mlml_sales_directory", "account.group_account_invoice")
        cls.manager = cls.create_user(
            "mlml_manager_directory", "account.group_account_invoice,mlml_barter.group_mlml_manager"
        )

    def directory_views(self, user):
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "mlml_barter.res_partner_mlml_member_action"
        )
        views = [(view_id, mode) for view_id, mode in action["views"]]
        result = self.env["res.partner"].with_user(user).get_views(views)["views"]
        return {mode: etree.fromstring(result[mode]["arch"]) for _id, mode in views}

    def test_salesperson_sees_no_new_button(self):
        for mode, arch in self.directory_views(self.salesperson).items():
            with self.subTest(mode=mode):
                self.assertIn(arch.get("create"), ("0", "false", "False"))
        # What "New" would have saved (the form sends the default state) is refused.
        with self.assertRaises(AccessError):
            self.env["res.partner"].with_user(self.salesperson).create(
                {
                    "name": "Candidat du commercial",
                    "is_company": True,
                    "mlml_member_state": "candidate",
                }
            )

    def test_manager_adds_a_candidate_from_the_directory(self):
        for mode, arch in self.directory_views(self.manager).items():
            with self.subTest(mode=mode):
                self.assertEqual(arch.get("create"), "1")
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "mlml_barter.res_partner_mlml_member_action"
        )
        context = literal_eval(action["context"])
        form = Form(self.env["res.partner"].with_user(self.manager).with_context(**context))
        form.name = "Candidat du gestionnaire"
        partner = form.save()
        self.assertRecordValues(partner, [{"is_company": True, "mlml_member_state": "candidate"}])

    def test_member_list_reads_at_a_glance(self):
        arch = self.directory_views(self.salesperson)["list"]
        for name in ("mlml_offer_ids", "mlml_need_ids"):
            field = arch.find(f".//field[@name='{name}']")
            self.assertIn("color_field", field.get("options"))
        for name in ("mlml_credit_limit", "mlml_balance_ceiling", "mlml_acceptance_rate"):
            self.assertTrue(arch.find(f".//field[@name='{name}']").get("width"))
        ceiling = arch.find(".//field[@name='mlml_balance_ceiling']")
        self.assertEqual(ceiling.get("widget"), "mlml_ceiling")

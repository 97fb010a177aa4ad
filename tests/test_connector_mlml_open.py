import unittest
from decimal import Decimal

from odoo import fields
from odoo.tests import tagged

from ..mlml_barter.clearing_client import ClearingHouseBackend
from .common import solver_missing
from .servers import EndToEndCommon


@tagged("post_install", "-at_install")
class TestConnectorMlmlOpen(EndToEndCommon):
    """What a member accepts in MLML, told to the clearing house with its invoices.

    The clearing house (CH) is a database of its own, served by an Odoo server
    process on 127.0.0.1; the member A is the database of these tests. A sells
    to B (a member of the clearing house) and submits its invoices to the
    compensation: the clearing house's obligation carries the MLML part A still
    accepts on each, so that a run with liquidity pays A no more in MLML. B
    confirms them through the API, as its Odoo would.
    """

    @classmethod
    def setUpClass(cls):
        if solver_missing():
            raise unittest.SkipTest(solver_missing())
        super().setUpClass()
        (cls.ch,) = cls.serve_databases("mopen", "ch")
        members = [("Atelier A", "MA-1"), ("Boulangerie B", "MB-1")]
        _partners, keys = cls._setup_clearing_house(cls.ch, members)
        cls.key_b = keys["MB-1"]
        cls.a_b = cls._setup_member_a(keys["MA-1"], members)["MB-1"]
        cls.sale_tax = cls.env["account.tax"].create(
            {"name": "TVA 20 % ventes", "amount": 20.0, "type_tax_use": "sale"}
        )

    def submit(self):
        """A's button Submit to the Compensation; its notification's message."""
        notification = self.env["res.config.settings"].create({}).action_mlml_submit_compensation()
        self.assertEqual(notification["params"]["type"], "success", notification)
        return notification["params"]["message"]

    def obligation(self, invoice):
        """The clearing house's obligation of ``invoice``: its figures."""
        (obligation,) = self.ch.rpc(
            "mlml.obligation",
            "search_read",
            [("name", "=", invoice.name)],
            ["amount_open", "mlml_declared", "mlml_open"],
        )
        return obligation["amount_open"], obligation["mlml_declared"], obligation["mlml_open"]

    def test_the_mlml_part_still_accepted_goes_with_each_declaration(self):
        forty = self.invoice_to_b(share=40.0)
        none = self.invoice_to_b(share=0.0)
        self.assertEqual((forty.amount_total, forty.mlml_amount), (1200.0, 400.0))
        self.assertEqual((none.amount_total, none.mlml_amount), (1200.0, 0.0))

        self.assertIn("2 invoice(s) or bill(s) submitted", self.submit())
        # 40 %: 400.00 in MLML; 0 %: 0.00 (nothing in MLML), not "not declared".
        self.assertEqual(self.obligation(forty), (1200.0, True, 400.0))
        self.assertEqual(self.obligation(none), (1200.0, True, 0.0))
        self.assertEqual(forty.mlml_declared_mlml, 400.0)
        self.assertRegex(
            str(forty.message_ids[0].body), r"A compensation run pays at most \S*400\.00"
        )
        # Nothing changed: nothing is submitted again.
        self.assertIn("0 invoice(s) or bill(s) submitted", self.submit())

        # B pays 150.00 of the MLML part at the clearing house; A's synchronisation
        # matches it with the invoice: 1,050.00 open, of which 250.00 in MLML.
        backend = ClearingHouseBackend(self.ch.url, self.key_b)
        self.addCleanup(backend.close)
        backend.pay("mopen-b-pays-150", "MA-1", Decimal("150.00"), reference=forty.name)
        self.assertTrue(self.company.mlml_synchronize(), self.company.mlml_sync_message)
        self.assertEqual((forty.amount_residual, forty.mlml_residual), (1050.0, 250.0))

        self.assertIn("1 invoice(s) or bill(s) submitted", self.submit())
        self.assertEqual(self.obligation(forty), (1050.0, True, 250.0))
        self.assertEqual(self.obligation(none), (1200.0, True, 0.0))
        self.assertEqual((forty.mlml_declared_amount, forty.mlml_declared_mlml), (1050.0, 250.0))
        # The declaration of other figures is a new one, not a key used again.
        keys = self.ch.rpc(
            "mlml.obligation.declaration",
            "search_read",
            [("obligation_id.name", "=", forty.name)],
            ["idempotency_key", "amount"],
            order="id",
        )
        self.assertEqual([key["amount"] for key in keys], [1200.0, 1050.0])
        self.assertEqual(
            [key["idempotency_key"].rsplit(":", 1)[1] for key in keys], ["40000", "25000"]
        )

        # B confirms both; a run with liquidity pays A in MLML only what it accepts:
        # 250.00 on the 40 % invoice, nothing on the 0 % one.
        for invoice in (forty, none):
            backend.declare_obligation(
                None,
                invoice.name,
                "MA-1",
                "MB-1",
                Decimal(str(invoice.amount_residual)),
                invoice.currency_id.name,
                invoice.invoice_date_due,
            )
        run = self.ch.rpc("mlml.compensation", "create", {"cutoff_date": str(fields.Date.today())})
        self.ch.rpc("mlml.compensation", "action_simulate", [run])
        self.ch.rpc("mlml.compensation", "action_confirm_with", [run])
        (confirmed,) = self.ch.rpc("mlml.compensation", "read", [run], ["state", "cleared_with"])
        self.assertEqual((confirmed["state"], confirmed["cleared_with"]), ("confirmed", 250.0))
        transfers = self.ch.rpc(
            "mlml.compensation.member",
            "search_read",
            [("compensation_id", "=", run)],
            ["member_number", "mlml_transfer"],
        )
        self.assertEqual(
            {row["member_number"]: row["mlml_transfer"] for row in transfers},
            {"MA-1": 250.0, "MB-1": -250.0},
        )
        # What A accepts in MLML on its invoices (250.00) is all paid: none is left.
        figures = [self.obligation(forty), self.obligation(none)]
        self.assertEqual(sum(amount_open for amount_open, _, _ in figures), 2000.0)
        self.assertEqual([mlml for _, _, mlml in figures], [0.0, 0.0])

        # A books the run: 250.00 received in MLML on its invoices, none of their MLML
        # part left; the clearing house has the same figures, so nothing is submitted.
        self.assertTrue(self.company.mlml_synchronize(), self.company.mlml_sync_message)
        both = forty | none
        self.assertEqual(sum(both.mapped("amount_residual")), 2000.0)
        self.assertEqual(sum(both.mapped("mlml_compensation_mlml")), 250.0)
        self.assertEqual(both.mapped("mlml_declared_mlml"), [0.0, 0.0])
        self.assertIn("0 invoice(s) or bill(s) submitted", self.submit())

import contextlib
import threading
import time

import requests

from odoo import Command, fields
from odoo.tests import tagged

from .servers import EndToEndCommon, FaultyProxy


@tagged("post_install", "-at_install")
class TestConnectorEndToEnd(EndToEndCommon):
    """Three databases, three Odoo servers, real HTTP between them.

    The clearing house (CH) and the member B are databases of their own, each
    served by an Odoo server process on 127.0.0.1; the member A is the
    database of these tests. A sells to B; B pays the MLML part from its Odoo;
    the books of both agree with the clearing house's ledger. Then the faults:
    the clearing house killed after booking and before answering, B's Odoo
    killed after the answer and before its commit, an answer later than the
    client waits.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.ch, cls.b = cls.serve_databases("e2e", "ch", "b")
        members = [("Atelier A", "MA-1"), ("Boulangerie B", "MB-1")]
        partners, keys = cls._setup_clearing_house(cls.ch, members)
        cls.ch_a, cls.ch_b = partners["MA-1"], partners["MB-1"]
        cls.key_a, cls.key_b = keys["MA-1"], keys["MB-1"]
        cls.b_company, b_partners = cls._setup_member(cls.b, "MB-1", cls.key_b, members)
        cls.b_a = b_partners["MA-1"]
        cls.b_tax = cls.b.rpc(
            "account.tax",
            "create",
            {"name": "TVA 20 % achats", "amount": 20.0, "type_tax_use": "purchase"},
        )
        cls.a_b = cls._setup_member_a(cls.key_a, members)["MB-1"]
        cls.sale_tax = cls.env["account.tax"].create(
            {"name": "TVA 20 % ventes", "amount": 20.0, "type_tax_use": "sale"}
        )

    # ------------------------------------------------------------------

    def ledger(self):
        """The transfers of the clearing house's ledger, oldest first."""
        return self.ch.rpc(
            "mlml.transfer",
            "search_read",
            [],
            ["id", "name", "payer_id", "payee_id", "amount", "reference", "idempotency_key"],
            order="ledger_position",
        )

    def ledger_balance(self, partner):
        return self.ch.rpc("res.partner", "read", [partner], ["mlml_ledger_balance"])[0][
            "mlml_ledger_balance"
        ]

    def assert_books_agree(self):
        """A's and B's books equal the clearing house's balances; the network sums to 0."""
        self.assertTrue(self.company.mlml_synchronize(), self.company.mlml_sync_message)
        self.assertTrue(
            self.b.rpc("res.company", "mlml_synchronize", [self.b_company]),
            self.b.rpc("res.company", "read", [self.b_company], ["mlml_sync_message"]),
        )
        self.company.invalidate_recordset()
        self.assertEqual(self.company.mlml_balance, self.ledger_balance(self.ch_a))
        b_balance = self.b.rpc("res.company", "read", [self.b_company], ["mlml_balance"])[0]
        self.assertEqual(b_balance["mlml_balance"], self.ledger_balance(self.ch_b))
        self.assertEqual(self.ledger_balance(self.ch_a) + self.ledger_balance(self.ch_b), 0.0)

    def bill_from_a(self, reference, amount=1000.0, share=50.0):
        bill = self.b.rpc(
            "account.move",
            "create",
            {
                "move_type": "in_invoice",
                "partner_id": self.b_a,
                "ref": reference,
                "invoice_date": str(fields.Date.today()),
                "invoice_line_ids": [
                    Command.create(
                        {
                            "name": "Fournitures",
                            "price_unit": amount,
                            "tax_ids": [Command.set([self.b_tax])],
                        }
                    )
                ],
            },
        )
        self.b.rpc("account.move", "write", [bill], {"mlml_share": share})
        self.b.rpc("account.move", "action_post", [bill])
        return bill

    def read_bill(self, bill):
        return self.b.rpc(
            "account.move", "read", [bill], ["mlml_residual", "mlml_request_id", "amount_total"]
        )[0]

    # ------------------------------------------------------------------

    def test_a_sells_to_b_who_pays_the_mlml_part_from_its_odoo(self):
        invoice = self.invoice_to_b()
        self.assertEqual(invoice.amount_total, 1200.0)
        self.assertEqual(invoice.mlml_amount, 500.0)
        # A's posting asked B for the MLML part at the clearing house.
        asked = self.ch.rpc(
            "mlml.payment.request",
            "search_read",
            [("reference", "=", invoice.name)],
            ["payer_id", "payee_id", "amount", "state"],
        )
        self.assertEqual(
            [(r["payer_id"][0], r["payee_id"][0], r["amount"], r["state"]) for r in asked],
            [(self.ch_b, self.ch_a, 500.0, "open")],
        )
        # B records A's invoice as its bill; its synchronisation brings the request to it.
        bill = self.bill_from_a(invoice.name)
        self.assertTrue(self.b.rpc("res.company", "mlml_synchronize", [self.b_company]))
        self.assertTrue(self.read_bill(bill)["mlml_request_id"])
        self.assertEqual(self.read_bill(bill)["mlml_residual"], 500.0)
        # B pays the MLML part from its Odoo: one transfer B→A of 500 in the ledger.
        self.b.rpc("account.move", "action_mlml_pay_request", [bill])
        transfers = self.ledger()
        self.assertEqual(
            [(t["payer_id"][0], t["payee_id"][0], t["amount"]) for t in transfers],
            [(self.ch_b, self.ch_a, 500.0)],
        )
        self.assertEqual(self.read_bill(bill)["mlml_residual"], 0.0)
        # A's synchronisation books it: A's invoice has no MLML residual left.
        self.assertTrue(self.company.mlml_synchronize(), self.company.mlml_sync_message)
        self.assertEqual(invoice.mlml_residual, 0.0)
        self.assertEqual(invoice.mlml_cash_residual, 700.0)
        self.assert_books_agree()
        self.assertEqual(self.ledger_balance(self.ch_a), 500.0)
        self.assertEqual(len(self.ledger()), 1)

    def test_clearing_house_killed_after_booking_before_answering(self):
        before = len(self.ledger())
        killed = []

        def kill_once():
            killed.append(True)
            self.ch.kill()

        proxy = FaultyProxy(
            self.ch.url,
            rule=lambda method, path: (
                ("drop", kill_once)
                if method == "POST" and path.endswith("/transfers") and not killed
                else None
            ),
        )
        self.addCleanup(proxy.stop)
        self.company.mlml_clearing_house_url = proxy.url
        payment = self.env["account.payment"].create(
            {
                "payment_type": "outbound",
                "partner_type": "supplier",
                "partner_id": self.a_b.id,
                "amount": 120.0,
                "journal_id": self.company.mlml_journal_id.id,
                "memo": "FB-0001",
            }
        )
        payment.action_post()
        self.assertEqual(payment.mlml_send_state, "to_send")
        self.assertEqual(payment.state, "draft")
        # The clearing house booked it before it was killed.
        self.ch.start()
        self.assertEqual(len(self.ledger()), before + 1)
        self.env["account.payment"]._cron_mlml_send()
        self.assertEqual(payment.mlml_send_state, "sent")
        self.assertEqual(payment.state, "paid")
        transfers = self.ledger()[before:]
        self.assertEqual(len(transfers), 1)
        self.assertEqual(transfers[0]["idempotency_key"], payment._mlml_transfer_key())
        self.assertEqual(payment.mlml_transfer_number, transfers[0]["name"])
        self.assert_books_agree()

    def test_member_killed_after_the_answer_before_its_commit(self):
        before = len(self.ledger())
        killed = threading.Event()

        def kill_b():
            self.b.kill()
            killed.set()

        proxy = FaultyProxy(
            self.ch.url,
            rule=lambda method, path: (
                ("answer_then", kill_b)
                if method == "POST" and path.endswith("/transfers")
                else None
            ),
        )
        self.addCleanup(proxy.stop)
        self.b.rpc("res.company", "write", [self.b_company], {"mlml_clearing_house_url": proxy.url})
        invoice = self.invoice_to_b(amount=200.0)
        bill = self.bill_from_a(invoice.name, amount=200.0)
        # B registers the payment of the bill's MLML part, as its accountant does.
        context = {"active_model": "account.move", "active_ids": [bill]}
        journal = self.b.rpc("res.company", "read", [self.b_company], ["mlml_journal_id"])[0][
            "mlml_journal_id"
        ][0]
        wizard = self.b.rpc(
            "account.payment.register",
            "create",
            {"journal_id": journal, "amount": 100.0},
            context=context,
        )
        with contextlib.suppress(requests.RequestException):
            # B's server is killed under the call, as meant: no answer.
            self.b.rpc(
                "account.payment.register", "action_create_payments", [wizard], context=context
            )
        self.assertTrue(killed.wait(60))
        self.b.start()
        self.b.rpc(
            "res.company", "write", [self.b_company], {"mlml_clearing_house_url": self.ch.url}
        )
        self.assertEqual(len(self.ledger()), before + 1)
        self.assert_books_agree()
        # Whether B's Odoo committed the payment or not, the transfer is booked once.
        made = str(self.ledger()[-1]["id"])
        lines = self.b.rpc(
            "account.bank.statement.line", "search_count", [("mlml_transfer_ref", "=", made)]
        )
        paid = self.b.rpc("account.payment", "search_count", [("mlml_transfer_ref", "=", made)])
        self.assertEqual(lines + paid, 1)
        self.assertEqual(self.read_bill(bill)["mlml_residual"], 0.0)
        self.assertEqual(invoice.mlml_residual, 0.0)

    def test_answer_later_than_the_client_waits(self):
        before = len(self.ledger())
        held = []

        def rule(method, path):
            if method == "POST" and path.endswith("/transfers") and not held:
                held.append(path)
                return ("hold", 35)
            return None

        proxy = FaultyProxy(self.ch.url, rule=rule)
        self.addCleanup(proxy.stop)
        self.company.mlml_clearing_house_url = proxy.url
        payment = self.env["account.payment"].create(
            {
                "payment_type": "outbound",
                "partner_type": "supplier",
                "partner_id": self.a_b.id,
                "amount": 30.0,
                "journal_id": self.company.mlml_journal_id.id,
                "memo": "FB-0002",
            }
        )
        started = time.monotonic()
        payment.action_post()
        self.assertGreaterEqual(time.monotonic() - started, 30)
        if payment.mlml_send_state == "to_send":
            self.env["account.payment"]._cron_mlml_send()
        self.assertEqual(payment.mlml_send_state, "sent")
        self.assertEqual(len(self.ledger()), before + 1)
        self.assert_books_agree()

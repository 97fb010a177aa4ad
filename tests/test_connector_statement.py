import csv
import io

from odoo import fields
from odoo.tests import tagged

from .common import ClearingApiCalls
from .test_connector import ConnectedMemberCommon


@tagged("post_install", "-at_install")
class TestConnectorStatement(ClearingApiCalls, ConnectedMemberCommon):
    """What a connected member (Delta) reads of the clearing house's transfers: their
    numbers and reversal reasons in its statement, the transfer number when it pays
    a request from a bill."""

    def test_statement_carries_transfer_numbers_and_reversal_reasons(self):
        payment = (
            self.env["account.payment"]
            .with_company(self.member)
            .create(
                {
                    "payment_type": "outbound",
                    "partner_type": "supplier",
                    "partner_id": self.alpha.id,
                    "amount": 250.0,
                    "journal_id": self.member.mlml_journal_id.id,
                    "memo": "FA-ALPHA-9",
                }
            )
        )
        payment.action_post()
        transfer = self.Transfer.search([("company_id", "=", self.company.id)], limit=1)
        self.assertEqual(payment.mlml_transfer_number, transfer.name)
        reversal = transfer.reverse("Montant saisi deux fois")
        self.synchronize()
        line = self.env["account.bank.statement.line"].search(
            [("company_id", "=", self.member.id), ("mlml_transfer_number", "=", reversal.name)]
        )
        self.assertRecordValues(
            line,
            [
                {
                    "amount": 250.0,
                    "mlml_reversal_of": transfer.name,
                    "mlml_reversal_reason": "Montant saisi deux fois",
                }
            ],
        )
        self.assertIn(f"Reverses transfer {transfer.name}: Montant saisi deux fois", line.narration)
        today = fields.Date.context_today(self.member)
        wizard = (
            self.env["mlml.statement.wizard"]
            .with_company(self.member)
            .create({"company_id": self.member.id, "date_from": today, "date_to": today})
        )
        statement = wizard._mlml_statement()
        self.assertEqual(
            [(row.reference, float(row.amount), row.details) for row in statement.rows],
            [
                (payment.move_id.name, -250.0, f"Transfer {transfer.name}"),
                (
                    line.move_id.name,
                    250.0,
                    (
                        f"Transfer {reversal.name}; Reverses transfer {transfer.name}: "
                        "Montant saisi deux fois"
                    ),
                ),
            ],
        )
        # In the file the accountant downloads, and in the PDF.
        attachment = self.env["ir.attachment"].browse(
            int(wizard.action_export_csv()["url"].split("?")[0].rsplit("/", 1)[1])
        )
        rows = list(csv.reader(io.StringIO(attachment.raw.decode("utf-8-sig")), delimiter=";"))
        self.assertEqual(rows[0][-1], "Details")
        self.assertEqual([row[-1] for row in rows[2:4]], [r.details for r in statement.rows])
        html = (
            self.env["ir.actions.report"]
            ._render_qweb_html("mlml_barter.report_mlml_statement", wizard.ids)[0]
            .decode()
        )
        self.assertIn(f"Transfer {reversal.name}; Reverses transfer {transfer.name}", html)

    def test_paying_a_request_from_the_bill_says_the_transfer_number(self):
        key_alpha = self.alpha.mlml_generate_api_key()
        bill = self.invoice("in_invoice", self.alpha, 400.0, 50.0, ref="FA-ALPHA-8")
        response = self.call(
            "POST",
            "/payment-requests",
            key_alpha,
            {"payer": "CH-D", "amount": "200.00", "reference": "FA-ALPHA-8"},
        )
        self.assertEqual(response.status_code, 201, response.text)
        self.synchronize()
        request = bill.mlml_request_id
        self.assertTrue(request)
        action = bill.action_mlml_pay_request()
        transfer = self.Transfer.search([("company_id", "=", self.company.id)], limit=1)
        self.assertTrue(transfer.name.startswith("VIR/"))
        said = (
            f"MLML part of {bill.display_name} paid through the clearing house: transfer "
            f"{transfer.name} of 200.00\N{NO-BREAK SPACE}MLML to Alpha Nettoyage, for the "
            f"request {request.name}."
        )
        self.assertEqual(action["tag"], "display_notification")
        self.assertEqual(action["params"]["message"], said)
        self.assertEqual(action["params"]["next"]["tag"], "soft_reload")
        in_chatter = said.replace("\N{NO-BREAK SPACE}", "&nbsp;")
        self.assertIn(in_chatter, bill.message_ids[0].body)
        self.assertIn(in_chatter, request.message_ids[0].body)
        self.assertEqual(request.transfer_number, transfer.name)

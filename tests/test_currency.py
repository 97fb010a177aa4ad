from decimal import Decimal

from odoo import fields
from odoo.exceptions import ValidationError
from odoo.tests import tagged

from ..mlml_barter.amounts import round_amount
from .common import MlmlBarterCommon

PEG_ERROR = "is a barter currency: one MLM is worth exactly one unit"


@tagged("post_install", "-at_install")
class TestBarterCurrency(MlmlBarterCommon):
    def test_currency_exists_with_its_attributes(self):
        self.assertRecordValues(
            self.mlml,
            [
                {
                    "name": "MLM",
                    "symbol": "MLML",
                    "full_name": "MLML – monnaie inter-entreprises",
                    "rounding": 0.01,
                    "decimal_places": 2,
                    "currency_unit_label": "MLML",
                    "mlml_is_barter": True,
                    "active": True,
                }
            ],
        )
        self.assertEqual(
            self.env["res.currency"].search([("mlml_is_barter", "=", True)]), self.mlml
        )

    def test_rate_of_1_5_refused_on_create(self):
        with self.assert_refused(ValidationError, PEG_ERROR):
            self.env["res.currency.rate"].create(
                {"currency_id": self.mlml.id, "name": "2025-01-01", "rate": 1.5}
            )
        self.assertFalse(self.mlml.rate_ids)

    def test_rate_changed_from_1_to_2_refused(self):
        rate = self.env["res.currency.rate"].create(
            {"currency_id": self.mlml.id, "name": "2025-01-01", "rate": 1.0}
        )
        with self.assert_refused(ValidationError, PEG_ERROR):
            rate.rate = 2.0
        with self.assert_refused(ValidationError, PEG_ERROR):
            rate.company_rate = 2.0
        self.assertEqual(rate.rate, 1.0)

    def test_imported_rate_refused(self):
        result = self.env["res.currency.rate"].load(
            ["currency_id/id", "name", "rate"],
            [["mlml_barter.currency_mlml", "2025-03-01", "0.98"]],
        )
        self.assertFalse(result["ids"])
        self.assertIn(PEG_ERROR, result["messages"][0]["message"])
        self.assertFalse(self.mlml.rate_ids)

    def test_flagging_a_currency_with_a_floating_rate_refused(self):
        currency = self.setup_other_currency("CHF")
        with self.assert_refused(ValidationError, "CHF cannot become a barter currency"):
            currency.mlml_is_barter = True

    def test_conversion_is_the_identity_on_any_date(self):
        company = self.env.company
        company_currency = company.currency_id
        # Another currency floats meanwhile: the peg does not follow it.
        self.setup_other_currency("CHF")
        for date in ("2001-01-01", "2016-06-30", fields.Date.today()):
            with self.subTest(date=date):
                self.assertEqual(
                    self.mlml._convert(123.45, company_currency, company, date), 123.45
                )
                self.assertEqual(
                    company_currency._convert(123.45, self.mlml, company, date), 123.45
                )
                self.assertEqual(
                    self.env["res.currency"]._get_conversion_rate(
                        self.mlml, company_currency, company, date
                    ),
                    1.0,
                )
        self.assertEqual(self.mlml.with_company(company).rate, 1.0)

    def test_peg_follows_the_company_currency_against_a_third_one(self):
        chf = self.setup_other_currency("CHF")  # 1 company unit = 2 CHF from 2017
        self.assertEqual(self.mlml._convert(100.0, chf, self.env.company, "2020-01-01"), 200.0)
        self.assertEqual(chf._convert(200.0, self.mlml, self.env.company, "2020-01-01"), 100.0)

    def test_renamed_currency_keeps_its_peg(self):
        self.mlml.write({"name": "CHW", "symbol": "WIR", "full_name": "WIR-Franken"})
        with self.assert_refused(ValidationError, "CHW is a barter currency"):
            self.env["res.currency.rate"].create(
                {"currency_id": self.mlml.id, "name": "2025-01-01", "rate": 1.2}
            )
        self.assertEqual(self.mlml._convert(10.0, self.env.company.currency_id), 10.0)

    def test_pure_rounding_agrees_with_the_orm(self):
        for cents in range(-2000, 2000, 7):
            value = cents / 1000 + 0.0005
            self.assertEqual(
                Decimal(repr(self.mlml.round(value))),
                round_amount(Decimal(repr(value))),
                value,
            )

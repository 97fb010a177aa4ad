import importlib.util
import json
import re
from contextlib import contextmanager
from pathlib import Path

from odoo import Command, fields
from odoo.tests import HttpCase, new_test_user
from odoo.tools import mute_logger

from odoo.addons.account.tests.common import AccountTestInvoicingCommon
from odoo.addons.mlml_barter.mlml_barter import api_spec

ADDON = Path(__file__).resolve().parent.parent
#: Keys that once lifted a guard: every forged context keeps them.
FORMER_BYPASSES = ("mlml_ledger_booking", "mlml_compensation_booking")
#: Values shaped as the add-on would read them, where ``True`` would say less.
FORGED_SHAPES = {
    "mlml_decision": "approve",
    "mlml_bounds_override": {"payment_ids": [], "move_ids": [], "reason": "Je force"},
    "mlml_bounds_notes": ["forced"],
    "mlml_qr_amount": "1.00",
    "_force_unlink": True,
}
CONTEXT_READS = (
    re.compile(r"context\.get\(\s*[\"'](mlml_\w+)[\"']"),
    re.compile(r"context\[\s*[\"'](mlml_\w+)[\"']\s*\]"),
    re.compile(r"with_context\([^)]*?\b(mlml_\w+)\s*="),
    re.compile(r"^\w+_KEY\s*=\s*[\"'](mlml_\w+)[\"']", re.MULTILINE),
)


def context_keys_read():
    """Every ``mlml_*`` context key the add-on's code reads or sets."""
    keys = set()
    for folder in ("models", "wizards", "controllers", "report"):
        for path in (ADDON / folder).rglob("*.py"):
            text = path.read_text()
            for pattern in CONTEXT_READS:
                keys.update(pattern.findall(text))
    return keys


def forged_context():
    """A context with every ``mlml_*`` key the add-on reads (and the former
    bypasses, and Odoo's uninstall flag) set, as any JSON-RPC caller may send it."""
    forged = dict.fromkeys(sorted(context_keys_read() | set(FORMER_BYPASSES)), True)
    return {**forged, **FORGED_SHAPES}


class JsonRpcCalls:
    """Calls of a model's method through /web/dataset/call_kw, as a user, with
    every context key forged (on an ``HttpCase``)."""

    def rpc(self, login, model, method, args, kwargs=None, password=None, context=None):
        """``model.method(*args, **kwargs)`` as ``login``; return the HTTP response."""
        self.env.flush_all()
        self.authenticate(login, password or login)
        kwargs = dict(kwargs or {})
        kwargs["context"] = {**forged_context(), **(context or {}), **kwargs.get("context", {})}
        payload = {
            "jsonrpc": "2.0",
            "method": "call",
            "id": 1,
            "params": {"model": model, "method": method, "args": args, "kwargs": kwargs},
        }
        with mute_logger("odoo.http"):
            response = self.url_open(
                f"/web/dataset/call_kw/{model}/{method}",
                data=json.dumps(payload),
                headers={"Content-Type": "application/json"},
            )
        response.raise_for_status()
        self.env.invalidate_all()
        return response


def solver_missing():
    """Why the compensation solver cannot run in this Python, or None.

    OR-Tools is the clearing house's requirement, not a member's: an Odoo
    without it runs every other test."""
    if importlib.util.find_spec("ortools") is None:
        return "OR-Tools is not installed in Odoo's Python (pip install ortools): skipped"
    return None


class MlmlRecords:
    """Members and credit lines, made in the test class's environment (the
    superuser's in ``setUpClass``): for any kind of Odoo test class."""

    @classmethod
    def create_member(cls, name, state="active", number=None, **values):
        """A member company, taken through the transitions to ``state``."""
        partner = cls.env["res.partner"].create(
            {
                "name": name,
                "is_company": True,
                "city": values.pop("city", "Lille"),
                "mlml_member_state": "candidate" if state != "none" else "none",
                "mlml_member_number": number,
                "mlml_charter_date": "2026-01-15" if number else False,
                **values,
            }
        )
        path = {"active": ["active"], "suspended": ["active", "suspended"]}
        path["resigned"] = ["resigned"]
        for step in path.get(state, []):
            partner.mlml_member_state = step
        return partner

    @classmethod
    def activate_member(cls, partner, number, charter_date="2026-01-15"):
        """``partner`` (a company's own, say) made a candidate numbered ``number``, then
        activated as a member manager would."""
        partner.write(
            {
                "mlml_member_state": "candidate",
                "mlml_member_number": number,
                "mlml_charter_date": charter_date,
            }
        )
        partner.action_mlml_activate()

    @classmethod
    def create_line(cls, partner, state="draft", limit=1000.0, ceiling=2000.0, **values):
        line = cls.env["mlml.credit.line"].create(
            {
                "partner_id": partner.id,
                "credit_limit": limit,
                "balance_ceiling": ceiling,
                "date_start": values.pop("date_start", fields.Date.today()),
                **values,
            }
        )
        if state in ("submitted", "approved"):
            line.action_submit()
        if state == "approved":
            line.action_approve()
        return line


class MlmlBarterCommon(MlmlRecords, AccountTestInvoicingCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.mlml = cls.env.ref("mlml_barter.currency_mlml")
        cls.activity_cleaning = cls.env["mlml.activity"].create({"name": "Nettoyage test"})
        cls.activity_printing = cls.env["mlml.activity"].create({"name": "Imprimerie test"})

    @contextmanager
    def assert_refused(self, exception, message):
        """The block is refused with ``exception`` saying ``message``, and undone.

        Odoo's ``assertRaises`` rolls the block back to a savepoint (unlike
        ``assertRaisesRegex``), so what follows can check nothing was written.
        """
        with self.assertRaises(exception) as caught:
            yield caught
        self.assertIn(message, str(caught.exception))

    @classmethod
    def create_user(cls, login, groups):
        """An internal user with ``groups``, who may edit contacts as users usually do."""
        return new_test_user(
            cls.env,
            login=login,
            groups=f"{groups},base.group_partner_manager",
            company_id=cls.env.company.id,
            company_ids=[(6, 0, cls.env.company.ids)],
        )

    def post_document(self, move_type, partner, amount, share, ref=None, company=None):
        """An invoice or a bill of ``amount`` (one line, no tax) with ``partner``, its
        MLML share ``share`` %, posted (in ``company``'s books, if given)."""
        Move = self.env["account.move"]
        if company:
            Move = Move.with_company(company)
        move = Move.create(
            {
                "move_type": move_type,
                "partner_id": partner.id,
                "invoice_date": fields.Date.today(),
                "ref": ref,
                "invoice_line_ids": [
                    Command.create({"name": "Prestation", "price_unit": amount, "tax_ids": []})
                ],
            }
        )
        move.mlml_share = share
        move.action_post()
        return move


class MlmlHttpCommon(MlmlRecords, HttpCase):
    """The database's own company an active member (made one if it is not), for the
    browser tours. ``cls.env`` is the superuser's, in that company."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = company = cls.env.company
        cls.journal = company.mlml_journal_id
        partner = company.partner_id
        if partner.mlml_member_state != "active":
            cls.activate_member(
                partner,
                partner.mlml_member_number or "MLML-0001",
                partner.mlml_charter_date or "2025-12-01",
            )


class ClearingApiCalls:
    """Calls of the clearing house's API over real HTTP, for an HttpCase."""

    def call(self, method, path, key=None, body=None, raw=None, headers=None, params=None):
        """``method`` on the API's ``path`` with the member's ``key``: ``body`` as JSON
        (or ``raw`` as it is). The answer; a server error fails the test."""
        headers = dict(headers or {})
        if key:
            headers["Authorization"] = f"Bearer {key}"
        data = raw if raw is not None else (json.dumps(body) if body is not None else None)
        if data is not None:
            headers.setdefault("Content-Type", "application/json")
        response = self.opener.request(
            method,
            f"{self.base_url()}{api_spec.BASE_PATH}{path}",
            data=data,
            headers=headers,
            params=params,
            timeout=30,
        )
        self.assertLess(response.status_code, 500, response.text)
        return response

    def assert_problem(self, response, status, code, *texts):
        """``response`` is the problem ``code`` (RFC 9457) of ``status``, its detail
        saying each of ``texts``; return it."""
        self.assertEqual(response.status_code, status, response.text)
        self.assertTrue(
            response.headers["Content-Type"].startswith("application/problem+json"),
            response.headers["Content-Type"],
        )
        problem = response.json()
        self.assertEqual((problem["status"], problem["code"]), (status, code))
        self.assertEqual(problem["type"], f"urn:mlml:problem:{code.replace('_', '-')}")
        self.assertTrue(problem["title"])
        for text in texts:
            self.assertIn(text, problem["detail"])
        return problem

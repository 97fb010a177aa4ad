"""The demo's network: a clearing house and three member companies, lived in.

``build(network)`` drives the served databases over JSON-RPC as their admin,
through the add-on's own methods only (the buttons a user presses, the
wizards they fill): the clearing house's members, their credit lines and API
keys; each member's Odoo connected with its key; a few months of mixed
invoices whose MLML parts are paid from the members' Odoo, a payment request
refused, a back-office transfer and a reversal, the obligations submitted and
a compensation run confirmed with liquidity; every member synchronised last.
Nothing is written in the ledger's tables directly.
"""

import datetime
import itertools
import json
import urllib.request
import uuid

from dateutil.relativedelta import relativedelta


class RpcError(RuntimeError):
    pass


class Database:
    """A served database, driven over JSON-RPC as its admin (admin/admin)."""

    _ids = itertools.count(1)

    def __init__(self, name, port, label):
        self.name = name
        self.port = port
        self.label = label
        self.process = None

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def call(self, model, method, *args, context=None, **kwargs):
        if context is not None:
            kwargs["context"] = {"lang": "fr_FR", "tz": "Europe/Paris", **context}
        else:
            kwargs["context"] = {"lang": "fr_FR", "tz": "Europe/Paris"}
        payload = {
            "jsonrpc": "2.0",
            "method": "call",
            "id": next(self._ids),
            "params": {
                "service": "object",
                "method": "execute_kw",
                "args": [self.name, 2, "admin", model, method, list(args), kwargs],
            },
        }
        request = urllib.request.Request(
            f"{self.url}/jsonrpc",
            data=json.dumps(payload).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=600) as response:
            answer = json.loads(response.read())
        if "error" in answer:
            data = answer["error"].get("data") or {}
            raise RpcError(
                f"{self.label}: {model}.{method}: "
                f"{data.get('message') or answer['error'].get('message')}"
            )
        return answer["result"]

    def company(self):
        return self.call(
            "res.company",
            "search_read",
            [],
            ["partner_id", "mlml_journal_id", "account_sale_tax_id", "account_purchase_tax_id"],
        )[0]

    def accountant_view(self):
        """The admin sees the accounting dashboard first, without onboarding tips."""
        group = self.call(
            "ir.model.data",
            "search_read",
            [("module", "=", "account"), ("name", "=", "group_account_user")],
            ["res_id"],
        )[0]["res_id"]
        self.call("res.users", "write", [2], {"groups_id": [(4, group)], "tour_enabled": False})


# The members of the network, as the clearing house knows them: name, number, city,
# offers, needs, notes, credit limit and ceiling. The first three run their own Odoo.
MEMBERS = [
    {
        "name": "Imprimerie du Vieux-Lille",
        "number": "MLML-0001",
        "street": "12 rue de la Monnaie",
        "zip": "59000",
        "city": "Lille",
        "offers": ["Imprimerie"],
        "needs": ["Nettoyage", "Expertise comptable", "Transport"],
        "offer_note": "Brochures, affiches, liasses et plaquettes, du devis à la livraison.",
        "need_note": "L'entretien de l'atelier, un expert-comptable et des livraisons.",
        "limit": 5000,
        "ceiling": 10000,
        "share": 30,
    },
    {
        "name": "Nettoyage Flandres Services",
        "number": "MLML-0002",
        "street": "27 rue de Tournai",
        "zip": "59200",
        "city": "Tourcoing",
        "offers": ["Nettoyage"],
        "needs": ["Logiciel", "Formation", "Imprimerie"],
        "offer_note": "Entretien de bureaux, de vitres et de locaux commerciaux.",
        "need_note": "Un logiciel de planning et des formations aux gestes et postures.",
        "limit": 3000,
        "ceiling": 5000,
        "share": 30,
    },
    {
        "name": "Cabinet Vauban Expertise",
        "number": "MLML-0003",
        "street": "14 boulevard Vauban",
        "zip": "59000",
        "city": "Lille",
        "offers": ["Expertise comptable", "Conseil"],
        "needs": ["Nettoyage", "Imprimerie"],
        "offer_note": "Tenue comptable, bilans et conseil de gestion pour les TPE et PME.",
        "need_note": "L'entretien de nos bureaux et l'impression de nos plaquettes.",
        "limit": 3000,
        "ceiling": 5000,
        "share": 20,
    },
    {
        "name": "Octet Nord",
        "number": "MLML-0004",
        "street": "5 rue Héloïse",
        "zip": "59650",
        "city": "Villeneuve-d'Ascq",
        "offers": ["Logiciel", "Conseil"],
        "needs": ["Imprimerie", "Formation"],
        "offer_note": "Logiciels de gestion sur mesure et hébergement.",
        "need_note": "Des supports imprimés pour nos salons.",
        "limit": 2000,
        "ceiling": 3000,
    },
    {
        "name": "Transports Lemaire",
        "number": "MLML-0005",
        "street": "3 quai de Wault",
        "zip": "59100",
        "city": "Roubaix",
        "offers": ["Transport"],
        "needs": ["Nettoyage", "Logiciel"],
        "offer_note": "Livraisons et messagerie dans la métropole, en 24 heures.",
        "need_note": "Le nettoyage de nos véhicules et de notre entrepôt.",
        "limit": 2000,
        "ceiling": 3000,
    },
    {
        "name": "Formaction Lille",
        "number": "MLML-0006",
        "street": "40 rue Nationale",
        "zip": "59000",
        "city": "Lille",
        "offers": ["Formation"],
        "needs": ["Imprimerie", "Logiciel"],
        "offer_note": "Formations sécurité, bureautique et gestes et postures.",
        "need_note": "L'impression de nos supports de cours.",
        "limit": 1000,
        "ceiling": 1000,
    },
]


class Network:
    """The databases of the demo: ``member`` (the first member), ``ch`` the
    clearing house, ``others`` the other members, in the order of MEMBERS."""

    def __init__(self, members, ch):
        self.members = members
        self.ch = ch

    @property
    def all(self):
        return [self.members[0], self.ch, *self.members[1:]]


def say(text):
    print(f"  · {text}", flush=True)


class Builder:
    def __init__(self, network, today=None):
        self.net = network
        self.ch = network.ch
        self.today = today or datetime.date.today()
        self.ch_partners = {}
        self.keys = {}
        self.companies = {}
        self.partners = {}  # (member db label, number) -> partner id in that db

    def day(self, months=0, days=0):
        return str(self.today - relativedelta(months=months, days=days))

    # ------------------------------------------------------------------
    # The clearing house
    # ------------------------------------------------------------------

    def clearing_house(self):
        ch = self.ch
        company = ch.company()
        ch.accountant_view()
        ch.call(
            "res.company",
            "write",
            [company["id"]],
            {
                "name": "MLML – Chambre de compensation",
                "street": "2 place du Théâtre",
                "zip": "59000",
                "city": "Lille",
                "mlml_is_clearing_house": True,
            },
        )
        activities = {}
        for member in MEMBERS:
            for name in member["offers"] + member["needs"]:
                if name not in activities:
                    activities[name] = ch.call("mlml.activity", "create", {"name": name})
        for member in MEMBERS:
            partner = ch.call(
                "res.partner",
                "create",
                {
                    "name": member["name"],
                    "is_company": True,
                    "street": member["street"],
                    "zip": member["zip"],
                    "city": member["city"],
                    "country_id": self.ref(ch, "base.fr"),
                    "lang": "fr_FR",
                    "mlml_member_state": "candidate",
                    "mlml_member_number": member["number"],
                    "mlml_charter_date": self.day(months=8),
                    "mlml_offer_ids": [(6, 0, [activities[n] for n in member["offers"]])],
                    "mlml_need_ids": [(6, 0, [activities[n] for n in member["needs"]])],
                    "mlml_offer_note": member["offer_note"],
                    "mlml_need_note": member["need_note"],
                },
            )
            ch.call("res.partner", "action_mlml_activate", [partner])
            line = ch.call(
                "mlml.credit.line",
                "create",
                {
                    "partner_id": partner,
                    "credit_limit": member["limit"],
                    "balance_ceiling": member["ceiling"],
                    "date_start": self.day(months=6),
                },
            )
            ch.call("mlml.credit.line", "action_submit", [line])
            ch.call("mlml.credit.line", "action_approve", [line])
            self.ch_partners[member["number"]] = partner
        for member in MEMBERS[: len(self.net.members)]:
            self.keys[member["number"]] = ch.call(
                "res.partner", "mlml_generate_api_key", [self.ch_partners[member["number"]]]
            )
        say(f"clearing house: {len(MEMBERS)} members, their credit lines and API keys")

    @staticmethod
    def ref(db, xmlid):
        module, name = xmlid.split(".")
        found = db.call(
            "ir.model.data",
            "search_read",
            [("module", "=", module), ("name", "=", name)],
            ["res_id"],
        )
        return found[0]["res_id"]

    # ------------------------------------------------------------------
    # The members' Odoo
    # ------------------------------------------------------------------

    def connect(self, db, member):
        # Each database was copied from one: each gets an identity of its own.
        db.call("ir.config_parameter", "set_param", "database.uuid", str(uuid.uuid4()))
        db.accountant_view()
        company = db.company()
        db.call(
            "res.company",
            "write",
            [company["id"]],
            {
                "name": member["name"],
                "street": member["street"],
                "zip": member["zip"],
                "city": member["city"],
                "mlml_default_share": member["share"],
                "mlml_clearing_house_url": self.ch.url,
                "mlml_clearing_house_key": self.keys[member["number"]],
            },
        )
        self.companies[db.label] = company
        self.test_and_synchronise(db)
        db.call("res.company", "mlml_refresh_directory", [company["id"]])
        for partner in db.call(
            "res.partner",
            "search_read",
            [("mlml_member_number", "!=", False), ("is_company", "=", True)],
            ["mlml_member_number"],
        ):
            self.partners[db.label, partner["mlml_member_number"]] = partner["id"]
        say(f"{member['name']}: connected to the clearing house, directory read")

    def test_and_synchronise(self, db):
        """The connection test of the settings, then the synchronisation."""
        company = self.companies[db.label]["id"]
        settings = db.call("res.config.settings", "create", {})
        db.call("res.config.settings", "action_mlml_test_connection", [settings])
        if not db.call("res.company", "mlml_synchronize", [company]):
            message = db.call("res.company", "read", [company], ["mlml_sync_message"])
            raise RpcError(f"{db.label}: synchronisation failed: {message[0]['mlml_sync_message']}")

    def db(self, number):
        return self.net.members[[m["number"] for m in MEMBERS].index(number)]

    def invoice(self, seller, buyer, lines, months, days=0, share=None, ref=None, kind="out"):
        """A document of ``seller`` (a member number whose Odoo holds it) to
        ``buyer``, posted: (id, name)."""
        db = self.db(seller)
        tax = self.companies[db.label][f"account_{'sale' if kind == 'out' else 'purchase'}_tax_id"]
        taxes = [(6, 0, [tax[0]] if tax else [])]
        values = {
            "move_type": f"{kind}_invoice",
            "partner_id": self.partners[db.label, buyer],
            "invoice_date": self.day(months, days),
            "ref": ref or False,
            "invoice_line_ids": [
                (
                    0,
                    0,
                    {"name": name, "quantity": quantity, "price_unit": price, "tax_ids": taxes},
                )
                for name, quantity, price in lines
            ],
        }
        move = db.call("account.move", "create", values)
        if share is not None:
            db.call("account.move", "write", [move], {"mlml_share": share})
        db.call("account.move", "action_post", [move])
        return move, db.call("account.move", "read", [move], ["name"])[0]["name"]

    def sale(self, seller, buyer, lines, months, days=0, share=None):
        """``seller`` invoices ``buyer`` (both with their Odoo); the buyer records
        the bill with the seller's number, matched with the seller's request."""
        invoice, name = self.invoice(seller, buyer, lines, months, days, share)
        buyer_db = self.db(buyer)
        self.test_and_synchronise(buyer_db)
        bill, _ = self.invoice(buyer, seller, lines, months, days - 2, ref=name, kind="in")
        return invoice, name, bill

    def pay_request(self, buyer, bill):
        db = self.db(buyer)
        db.call("account.move", "action_mlml_pay_request", [bill])

    def refuse_request(self, buyer, bill, reason):
        db = self.db(buyer)
        action = db.call("account.move", "action_mlml_refuse_request", [bill])
        wizard = db.call(
            action["res_model"], "create", {"reason": reason}, context=action["context"]
        )
        db.call(action["res_model"], "action_confirm", [wizard])

    def pay_in_mlml(self, payer, bill, months, days=0):
        """Register Payment on ``bill`` in the barter journal: its MLML part."""
        db = self.db(payer)
        context = {"active_model": "account.move", "active_ids": [bill]}
        wizard = db.call(
            "account.payment.register",
            "create",
            {
                "journal_id": self.companies[db.label]["mlml_journal_id"][0],
                "payment_date": self.day(months, days),
            },
            context=context,
        )
        db.call("account.payment.register", "action_create_payments", [wizard], context=context)

    def back_office(self):
        ch = self.ch
        company = ch.company()["id"]

        def transfer(payer, payee, amount, reference, memo):
            wizard = ch.call(
                "mlml.transfer.wizard",
                "create",
                {
                    "company_id": company,
                    "payer_id": self.ch_partners[payer],
                    "payee_id": self.ch_partners[payee],
                    "amount": amount,
                    "reference": reference,
                    "memo": memo,
                },
            )
            return ch.call("mlml.transfer.wizard", "action_confirm", [wizard])["res_id"]

        transfer("MLML-0004", "MLML-0001", 450.0, "DEV-2026-118", "Affiches du salon, part MLML")
        wrong = transfer(
            "MLML-0006", "MLML-0003", 180.0, "FA-0412", "Formation au logiciel de paie"
        )
        wizard = ch.call(
            "mlml.transfer.reverse",
            "create",
            {
                "transfer_id": wrong,
                "reason": "Saisi sur le mauvais compte : le payeur est Octet Nord.",
            },
        )
        ch.call("mlml.transfer.reverse", "action_confirm", [wizard])
        transfer("MLML-0004", "MLML-0003", 180.0, "FA-0412", "Formation au logiciel de paie")
        say("back office: three transfers, one of them reversed")

    def compensation(self):
        for db in self.net.members:
            self.test_and_synchronise(db)
            db.call(
                "res.company", "action_mlml_submit_compensation", [self.companies[db.label]["id"]]
            )
        ch = self.ch
        run = ch.call("mlml.compensation", "create", {"cutoff_date": str(self.today)})
        try:
            ch.call("mlml.compensation", "action_simulate", [run])
        except RpcError as error:
            say(f"no compensation run: {error}")
            return
        ch.call("mlml.compensation", "action_confirm_with", [run])
        done = ch.call("mlml.compensation", "read", [run], ["name", "state", "cleared_with"])[0]
        say(f"compensation {done['name']}: {done['state']}, {done['cleared_with']:.2f} cleared")

    # ------------------------------------------------------------------

    def life(self):
        """A few months of trade between the members."""
        printer, cleaning, accountant = "MLML-0001", "MLML-0002", "MLML-0003"
        # Month -3: the printer prints the accountant's brochures; the cleaning
        # company cleans the printing works. Each MLML part paid from the bill.
        _, _, bill = self.sale(
            printer,
            accountant,
            [("Plaquettes de présentation, 2 000 exemplaires", 1, 1400.0), ("Liasses", 4, 150.0)],
            months=3,
            days=20,
        )
        self.pay_request(accountant, bill)
        _, _, bill = self.sale(
            cleaning,
            printer,
            [("Entretien de l'atelier, trimestre", 3, 400.0)],
            months=3,
            days=5,
        )
        self.pay_request(printer, bill)
        say("month 1: two mixed invoices, their MLML parts paid from the customers' Odoo")
        # Month -2: the printer's deliveries, paid in MLML to a member without Odoo;
        # the accountant's quarter for the cleaning company.
        lemaire, _ = self.invoice(
            printer,
            "MLML-0005",
            [("Livraisons de brochures", 6, 120.0)],
            months=2,
            days=15,
            share=20,
            ref="TL-2291",
            kind="in",
        )
        self.pay_in_mlml(printer, lemaire, months=2, days=10)
        _, _, bill = self.sale(
            accountant,
            cleaning,
            [("Tenue comptable, trimestre", 1, 1500.0)],
            months=2,
            days=5,
        )
        self.pay_request(cleaning, bill)
        say("month 2: a bill paid in MLML by Register Payment, an accountant's quarter")
        # Month -1: advice the cleaning company never ordered: refused; posters
        # for the accountant's seminar, paid.
        _, _, bill = self.sale(
            accountant, cleaning, [("Conseil en organisation", 1, 400.0)], months=1, days=10
        )
        self.refuse_request(
            cleaning, bill, "Prestation non commandée : merci de nous adresser un avoir."
        )
        _, _, bill = self.sale(
            printer, accountant, [("Affiches du séminaire", 50, 6.0)], months=0, days=20
        )
        self.pay_request(accountant, bill)
        say("month 3: a payment request refused with its reason, another paid")

    def check(self):
        """Each member's card shows the clearing house's balance; the network sums to 0."""
        ch = self.ch
        balances = {
            p["mlml_member_number"]: p["mlml_ledger_balance"]
            for p in ch.call(
                "res.partner",
                "search_read",
                [("mlml_member_number", "!=", False)],
                ["mlml_member_number", "mlml_ledger_balance"],
            )
        }
        accounts = ch.call("mlml.ledger.account", "search_read", [], ["balance"])
        total = round(sum(a["balance"] for a in accounts), 2)
        problems = [] if total == 0 else [f"the network sums to {total:.2f}"]
        for member, db in zip(MEMBERS, self.net.members, strict=False):
            self.test_and_synchronise(db)
            company = self.companies[db.label]["id"]
            booked = db.call("res.company", "read", [company], ["mlml_balance"])[0]["mlml_balance"]
            if round(booked - balances[member["number"]], 2):
                problems.append(
                    f"{member['name']}: {booked:.2f} in its books, "
                    f"{balances[member['number']]:.2f} at the clearing house"
                )
            say(f"{member['name']}: balance {booked:.2f} MLML, as at the clearing house")
        if problems:
            raise RpcError("; ".join(problems))

    def build(self):
        self.clearing_house()
        for member, db in zip(MEMBERS, self.net.members, strict=False):
            self.connect(db, member)
        self.life()
        self.back_office()
        self.compensation()
        self.check()


def build(network):
    Builder(network).build()

#!/usr/bin/env python3
"""Benchmark: the member list with its credit columns, against the plain partner list.

It starts a throwaway PostgreSQL cluster, installs the add-on in a database of
its own without demo data, creates active members with an approved credit line
and as many plain partners, then measures what the web client asks the server to
show a list (``web_search_read`` with the list view's field specification, and
the JSON encoding of its answer), on a cold record cache each time:

- the SQL queries of the member list for 50 and for all the members: they must
  not grow with the number of rows;
- the time of the member list (``mlml_barter.res_partner_view_list_mlml``) and
  of the plain partner list (``base.view_partner_tree``) of the same size,
  measured side by side in interleaved rounds; the ratio of their best times
  must be at most 1.5.

It prints each measurement, and last ``RATIO members <value> (target <= 1.5)``.
How it runs and ends (a missed target, Ctrl-C): ``common.py``.
"""

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import (
    MAIL_QUIET,
    QueryShapes,
    as_admin,
    emit,
    measured_in_odoo,
    ratios,
    rotated,
    run_benchmark,
)

DATABASE = "bench_members"
TARGET = 1.5
MEMBER_LIST = "mlml_barter.res_partner_view_list_mlml"
MEMBER_ACTION = "mlml_barter.res_partner_mlml_member_action"
PLAIN_LIST = "base.view_partner_tree"
# The member action's default filter (active members), added to its domain.
ACTIVE_FILTER = [("mlml_member_state", "=", "active")]
# The columns the issue is about, and the currency they are shown in.
CREDIT_COLUMNS = ("mlml_credit_limit", "mlml_balance_ceiling", "mlml_currency_id")
# The same kind of partners, outside the network.
PLAIN_DOMAIN = [("is_company", "=", True), ("mlml_member_state", "=", "none")]
# Fields the web client's widgets read besides their own (fieldDependencies).
WIDGET_DEPENDENCIES = {
    "list_activity": (
        "activity_exception_decoration",
        "activity_exception_icon",
        "activity_state",
        "activity_summary",
        "activity_type_icon",
        "activity_type_id",
    ),
}
CITIES = ("Lille", "Roubaix", "Tourcoing", "Villeneuve-d'Ascq", "Marcq-en-Barœul", "Lomme")

# ---------------------------------------------------------------- inside Odoo


def in_odoo(env, members, small, rounds):
    """Create the data, then measure; runs in ``odoo shell`` as the superuser."""
    started = time.perf_counter()
    populate(env, members)
    env.cr.commit()  # pylint: disable=invalid-commit
    env.cr.execute("ANALYZE")
    emit(f"DATA {members} active members with an approved credit line, {members} plain partners")
    emit(f"DATA created in {time.perf_counter() - started:.1f} s")

    admin = env.ref("base.user_admin")
    user_env = as_admin(
        env,
        "mlml_barter.group_mlml_user",
        "does not see the MLML fields",
        bin_size=True,
        allowed_company_ids=admin.company_id.ids,
    )
    partners = user_env["res.partner"]
    member_domain = member_list_domain(user_env)
    member_spec = list_specification(partners, MEMBER_LIST)
    plain_spec = list_specification(partners, PLAIN_LIST)
    emit(f"FIELDS member list: {', '.join(member_spec)}")
    emit(f"FIELDS plain list: {', '.join(plain_spec)}")

    def member_list(limit):
        return list_request(partners, member_domain, member_spec, limit, members)

    def plain_list(limit):
        return list_request(partners, PLAIN_DOMAIN, plain_spec, limit, members)

    # Warm the registry's caches (access rights, rules, views) once.
    for request in (member_list, plain_list):
        rows, _queries, _seconds = request(members)
        if rows != members:
            raise RuntimeError(f"{request.__name__} shows {rows} rows, not {members}")

    # The member list without its credit columns: what those columns cost.
    bare_spec = {name: spec for name, spec in member_spec.items() if name not in CREDIT_COLUMNS}

    def bare_list(limit):
        return list_request(partners, member_domain, bare_spec, limit, members)

    report_queries(user_env, member_list, plain_list, small, members)
    report_times(
        {"members": member_list, "members without credit columns": bare_list, "plain": plain_list},
        members,
        rounds,
    )


def member_list_domain(env):
    """The domain of the member action, with its default filter."""
    from odoo.tools.safe_eval import safe_eval

    action = env.ref(MEMBER_ACTION).sudo()
    return [*safe_eval(action.domain or "[]"), *ACTIVE_FILTER]


def populate(env, count):
    """``count`` active members, each with an approved credit line, and ``count`` partners."""
    from odoo import fields

    env = env(context=dict(env.context, **MAIL_QUIET))
    today = fields.Date.context_today(env["res.partner"])
    france = env.ref("base.fr")
    activities = env["mlml.activity"].create(
        [{"name": f"Bench activity {i:02d}", "color": i % 12} for i in range(30)]
    )
    tags = env["res.partner.category"].create(
        [{"name": f"Bench tag {i:02d}", "color": i % 12} for i in range(30)]
    )

    def company(prefix, i):
        return {
            "name": f"{prefix} {i:05d}",
            "is_company": True,
            "street": f"{i % 200 + 1} rue de la Monnaie",
            "zip": "59000",
            "city": CITIES[i % len(CITIES)],
            "country_id": france.id,
            "email": f"{prefix.lower()}{i}@example.com",
            "phone": f"+33 3 20 {i // 100 % 100:02d} {i % 100:02d} 00",
        }

    members = env["res.partner"].create(
        [
            {
                **company("Member", i),
                "mlml_member_state": "candidate",
                "mlml_member_number": f"MLML-{i:05d}",
                "mlml_charter_date": today,
                "mlml_acceptance_rate": 10 + i % 90,
                "mlml_offer_ids": [(6, 0, activities[i % 30 : i % 30 + 2].ids)],
                "mlml_need_ids": [(6, 0, activities[(i + 7) % 30 : (i + 7) % 30 + 1].ids)],
            }
            for i in range(count)
        ]
    )
    members.write({"mlml_member_state": "active", "mlml_join_date": today})
    env["res.partner"].create(
        [
            {**company("Partner", i), "category_id": [(6, 0, tags[i % 30 : i % 30 + 2].ids)]}
            for i in range(count)
        ]
    )
    lines = env["mlml.credit.line"].create(
        [
            {
                "partner_id": member.id,
                "credit_limit": 1000 + 10 * (i % 400),
                "balance_ceiling": 0 if i % 3 else 20000,
                "date_start": fields.Date.subtract(today, days=30),
            }
            for i, member in enumerate(members)
        ]
    )
    lines._set_state("submitted")
    lines._set_state("approved")
    env.flush_all()


def list_specification(partners, view_xmlid):
    """The field specification the web client sends for a list view, as it builds it.

    Every field of the list, hidden optional columns included; a many2one asks
    its display name; a many2many shown as tags asks the tags' display name and
    color; a widget's own dependencies (the activity column's) are asked too.
    Other x2many columns ask their ids only.
    """
    import ast

    from lxml import etree

    view = partners.env.ref(view_xmlid)
    arch = partners.get_views([(view.id, "list")])["views"]["list"]["arch"]

    def columns(node):
        for child in node:
            if child.tag == "field":
                yield child
            elif child.tag not in ("groupby", "header", "control"):
                yield from columns(child)

    spec = {}
    for node in columns(etree.fromstring(arch)):
        name = node.get("name")
        field = partners._fields[name]
        invisible = node.get("invisible") in ("True", "1")
        if field.type == "many2one":
            spec[name] = {"fields": {} if invisible else {"display_name": {}}}
        elif field.type in ("one2many", "many2many") and node.get("widget") == "many2many_tags":
            related = {"display_name": {}}
            try:
                color = ast.literal_eval(node.get("options") or "{}").get("color_field")
            except (ValueError, SyntaxError):
                color = None
            if color:
                related[color] = {}
            spec[name] = {"fields": related, "context": {}}
        else:
            spec[name] = {}
        for dependency in WIDGET_DEPENDENCIES.get(node.get("widget"), ()):
            if partners._fields[dependency].type == "many2one":
                spec.setdefault(dependency, {"fields": {"display_name": {}}})
            else:
                spec.setdefault(dependency, {})
    return spec


def list_request(partners, domain, spec, limit, count_limit):
    """One list request on a cold record cache: (rows, SQL queries, seconds)."""
    import gc
    import json

    from odoo import sql_db
    from odoo.tools import json_default

    partners.env.invalidate_all()
    gc.collect()
    queries = sql_db.sql_counter
    start = time.perf_counter()
    result = partners.web_search_read(domain, spec, limit=limit, count_limit=count_limit + 1)
    json.dumps(result, ensure_ascii=False, default=json_default)
    seconds = time.perf_counter() - start
    return len(result["records"]), sql_db.sql_counter - queries, seconds


def report_queries(user_env, member_list, plain_list, small, members):
    """Queries of both lists for ``small`` and ``members`` rows; where the growth is."""
    cursor_class = type(user_env.cr)
    counts = {}
    shapes = {}
    for name, request in (("members", member_list), ("plain", plain_list)):
        for rows in (small, members):
            with QueryShapes(cursor_class) as recorder:
                shown, queries, _seconds = request(rows)
            counts[name, rows] = queries
            shapes[name, rows] = recorder.counts
            emit(f"QUERIES {name} list, {shown} rows: {queries}")
    for name in ("members", "plain"):
        growth = counts[name, members] - counts[name, small]
        emit(
            f"QUERIES {name} list growth from {small} to {members} rows: {growth:+d} "
            f"({growth / (members - small):.4f} per extra row)"
        )
    # The ORM reads x2many and computes non-stored fields by batches of 1000
    # records (PREFETCH_MAX): the plain list grows by those batches too. The
    # member list may grow as much as the plain list, no more.
    extra = (counts["members", members] - counts["members", small]) - (
        counts["plain", members] - counts["plain", small]
    )
    verdict = "OK" if extra <= 0 else "GROWS"
    emit(
        f"QUERIES member list: {extra:+d} queries of growth beyond the plain list's "
        f"(target <= 0): {verdict}"
    )
    # Where the growth is: the queries whose number grows with the rows.
    for name in ("members", "plain"):
        big, little = shapes[name, members], shapes[name, small]
        grown = sorted(
            ((big.get(shape, 0) - little.get(shape, 0), shape) for shape in big),
            reverse=True,
        )
        for delta, shape in grown:
            if delta > 0:
                emit(f"QUERIES   {name} +{delta} x {shape}")


def report_times(requests, members, rounds):
    """Interleaved rounds of the lists at full size, their order rotating each round."""
    import statistics

    names = list(requests)
    times = {name: [] for name in names}
    for round_no in range(rounds):
        for name in rotated(names, round_no):
            _rows, _queries, seconds = requests[name](members)
            times[name].append(seconds)
        timings = ", ".join(f"{name} {times[name][-1]:.3f} s" for name in names)
        emit(
            f"ROUND {round_no + 1}/{rounds}: {timings}, "
            f"ratio {times['members'][-1] / times['plain'][-1]:.2f}"
        )
    for name in names:
        emit(
            f"TIME {name} list, {members} rows: best {min(times[name]):.3f} s, "
            f"median {statistics.median(times[name]):.3f} s over {rounds} rounds"
        )
    credit = min(times["members"]) - min(times["members without credit columns"])
    emit(f"TIME the credit columns, {members} rows: {credit:+.3f} s (difference of the bests)")
    best_ratio, median_ratio = ratios(times["members"], times["plain"])
    emit(f"RATIO members median of the rounds' ratios: {median_ratio:.2f}")
    emit(f"RATIO members {best_ratio:.2f} (target <= {TARGET})")


# ---------------------------------------------------------------- outside Odoo


def is_ratio(line):
    return line.startswith("RATIO members ") and "target" in line


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, default=5000, help="rows of the big lists")
    parser.add_argument("--small", type=int, default=50, help="rows of the small list")
    parser.add_argument("--rounds", type=int, default=7, help="interleaved timing rounds")
    args = parser.parse_args()
    return run_benchmark(args, measured_in_odoo(DATABASE, __file__, is_ratio, french=False))


if __name__ == "__main__":
    sys.exit(main())

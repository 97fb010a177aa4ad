"""Who may act on the clearing house's ledger, and the writes only its rules make.

The ledger's own records (transfers, payment requests, obligations,
compensation runs) carry fields that only the clearing house's rules write:
states, parties, amounts, results. The rules write them with ``booking(...)``
after their own checks; ``write``/``create`` refuse them otherwise. The mark
is a Python object compared by identity: a context sent over JSON-RPC holds
only JSON values, so no caller can forge it, whatever keys it sends.

Roles: the clearing house's staff (``group_mlml_clearing_staff``) move
members' money on their behalf, answer their payment requests and simulate
runs; its MLML managers also reverse, withdraw obligations and confirm runs.
"""

from odoo.exceptions import AccessError
from odoo.tools import SQL

#: The context key of the ledger's own writes.
BOOKING_KEY = "mlml_booking"

STAFF_GROUP = "mlml_barter.group_mlml_clearing_staff"
MANAGER_GROUP = "mlml_barter.group_mlml_manager"
#: Fields of the mail thread, which anyone who may write a record still writes.
MAIL_PREFIXES = ("message_", "activity_")


class _Booking:
    """The mark of a write the clearing house's rules make (see the module)."""

    __slots__ = ()

    def __repr__(self):
        return "<mlml ledger booking>"


BOOKING = _Booking()


def booking(records):
    """``records`` as the ledger's rules write them: in superuser mode, marked."""
    return records.sudo().with_context(**{BOOKING_KEY: BOOKING})


def is_booking(env):
    """Is ``env`` one the ledger's rules write with?"""
    return env.context.get(BOOKING_KEY) is BOOKING


def data_fields(vals):
    """The fields of ``vals`` other than the mail thread's."""
    return {name for name in vals if not name.startswith(MAIL_PREFIXES)}


def is_staff(env):
    return env.su or env.user.has_group(STAFF_GROUP)


def is_ledger_manager(env):
    return env.su or (env.user.has_group(MANAGER_GROUP) and env.user.has_group(STAFF_GROUP))


def check_staff(env, message):
    """Refuse unless the user is the clearing house's staff (or the add-on itself)."""
    if not is_staff(env):
        raise AccessError(message)


def check_ledger_manager(env, message):
    """Refuse unless the user is an MLML manager of the clearing house."""
    if not is_ledger_manager(env):
        raise AccessError(message)


def unnest_rows(model, names, values_list, ordinality=False):
    """``unnest(…) AS t(names)``: the rows of ``values_list`` (dicts; a name not
    given is NULL) as a table, one array per column typed as ``model``'s field,
    for the ledger's writes of many rows in one query. With ``ordinality``, the
    column ``rank`` numbers the rows from 1 in their order."""
    return SQL(
        "unnest(%s) %s AS t(%s)",
        SQL(", ").join(
            SQL(
                "%s::%s[]",
                [values.get(name) for values in values_list],
                SQL(model._fields[name].column_type[1]),
            )
            for name in names
        ),
        SQL("WITH ORDINALITY") if ordinality else SQL(),
        SQL(", ").join(
            [SQL.identifier(name) for name in names] + ([SQL("rank")] if ordinality else [])
        ),
    )

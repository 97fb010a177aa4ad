"""Numbers typed or sent by a user, checked before the ORM converts them."""

from odoo.exceptions import ValidationError
from odoo.tools.misc import formatLang

from ..mlml_barter.amounts import RuleError, to_decimal


def check_numbers(model, vals_list, names):
    """Refuse values of the amount or percent fields ``names`` that are no numbers.

    NaN, infinity, text or lists would otherwise reach the database or fail
    with a raw Python error; an empty value (False, None) stands for 0.
    """
    for vals in vals_list:
        for name in names:
            value = vals.get(name)
            if value is None or value is False:
                continue
            try:
                to_decimal(value)
            except RuleError as error:
                env = model.env
                raise ValidationError(
                    env._(
                        "%(field)s: “%(value)s” is not a number. Enter it in figures, "
                        "such as %(example)s.",
                        field=model._fields[name]._description_string(env),
                        value=value,
                        example=formatLang(env, 1500.0),
                    )
                ) from error

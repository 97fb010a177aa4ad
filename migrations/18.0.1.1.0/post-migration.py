"""Keys of the clearing house's API made before they were recorded: recorded now.

From this version a key opens the API only while its record is active; the
keys of an archived API user, which Odoo would show again on reactivation,
are revoked for good."""

from odoo import SUPERUSER_ID, api


def migrate(cr, version):
    if not version:
        return
    env = api.Environment(cr, SUPERUSER_ID, {})
    env["mlml.api.key"]._adopt_keys()

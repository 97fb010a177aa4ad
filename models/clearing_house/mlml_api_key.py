"""The keys of the clearing house's API: one record per key made, revoked for good.

A member's key is a ``res.users.apikeys`` row of scope ``mlml_api`` on the
member's API user (a portal user). Odoo hides the keys of an archived user and
shows them again when the user is reactivated: archiving is no revocation.
Here a key opens the API only while its record is active (``mlml.api`` checks
it at each call); revoking it deletes its ``res.users.apikeys`` row, so
nothing (a reactivated user, a new key) brings it back. Archiving the API
user revokes its keys the same way.

The record keeps what the clearing house shows on the member's account: the
key's name, who made it and when, when it was last used, who revoked it and
when. Never the key: Odoo keeps only its hash, on the ``res.users.apikeys`` row.
"""

from odoo import api, fields, models
from odoo.exceptions import UserError

from .mlml_guards import check_ledger_manager

API_SCOPE = "mlml_api"


class MlmlApiKey(models.Model):
    _name = "mlml.api.key"
    _description = "Clearing-House API Key"
    _order = "create_date desc, id desc"
    _check_company_auto = True

    name = fields.Char(required=True, readonly=True)
    company_id = fields.Many2one(
        comodel_name="res.company", required=True, readonly=True, index=True, ondelete="cascade"
    )
    account_id = fields.Many2one(
        comodel_name="mlml.ledger.account",
        required=True,
        readonly=True,
        index=True,
        ondelete="restrict",
        check_company=True,
    )
    partner_id = fields.Many2one(
        related="account_id.partner_id", string="Member", store=True, index=True
    )
    api_user_id = fields.Many2one(
        comodel_name="res.users",
        string="API User",
        required=True,
        readonly=True,
        ondelete="restrict",
        help="The member's portal user the key belongs to.",
    )
    apikey_id = fields.Many2one(
        comodel_name="res.users.apikeys",
        string="Odoo API Key",
        readonly=True,
        ondelete="set null",
        help="Odoo's row of the key (its hash); deleted when the key is revoked.",
    )
    state = fields.Selection(
        selection=[("active", "In force"), ("revoked", "Revoked")],
        required=True,
        readonly=True,
        default="active",
    )
    last_used = fields.Datetime(
        readonly=True,
        help="The last call to the API with this key, to within a few minutes.",
    )
    revoked_on = fields.Datetime(readonly=True)
    revoked_by_id = fields.Many2one(comodel_name="res.users", readonly=True)

    _sql_constraints = [
        ("apikey_unique", "unique(apikey_id)", "An Odoo API key is recorded once."),
    ]

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------

    def action_revoke(self):
        """Revoke these keys for good, noted on their member's chatter."""
        check_ledger_manager(
            self.env,
            self.env._("Only the clearing house's MLML managers revoke a key of its API."),
        )
        self.check_access("read")
        keys = self.filtered(lambda key: key.state == "active")
        if not keys:
            raise UserError(
                self.env._(
                    "The key %(keys)s is already revoked: it opens nothing.",
                    keys=", ".join(self.mapped("name")),
                )
            )
        keys.sudo()._revoke()
        for key in keys:
            key.partner_id.sudo().message_post(
                body=self.env._(
                    "%(user)s revoked the key of the clearing-house API %(key)s: it is refused "
                    "from now on.",
                    user=self.env.user.name,
                    key=key.name,
                )
            )
        return True

    # ------------------------------------------------------------------
    # Business methods
    # ------------------------------------------------------------------

    @api.model
    def _record(self, account, user, apikey_id):
        """The record of a key just made for ``user``, the API user of ``account``."""
        made = self.sudo().search_count([("account_id", "=", account.id)])
        return self.sudo().create(
            {
                "name": f"{account.partner_id.mlml_member_number}/{made + 1}",
                "company_id": account.company_id.id,
                "account_id": account.id,
                "api_user_id": user.id,
                "apikey_id": apikey_id,
            }
        )

    def _revoke(self):
        """Revoke the active keys of ``self`` (in superuser mode, after the caller's
        checks): their Odoo row is deleted, so that no reactivation brings them back."""
        keys = self.filtered(lambda key: key.state == "active")
        if not keys:
            return keys
        apikeys = keys.apikey_id
        keys.write(
            {
                "state": "revoked",
                "revoked_on": fields.Datetime.now(),
                "revoked_by_id": self.env.uid,
                "apikey_id": False,
            }
        )
        apikeys.unlink()
        return keys

    @api.model
    def _revoke_member(self, member):
        """Revoke all the active keys of ``member`` at the clearing house(s) the
        user works in, with one note on its chatter; return how many."""
        check_ledger_manager(
            self.env,
            self.env._("Only the clearing house's MLML managers revoke the keys of its API."),
        )
        member = member.commercial_partner_id
        keys = self.search([("partner_id", "=", member.id), ("state", "=", "active")])
        if not keys:
            raise UserError(
                self.env._(
                    "%(member)s has no key of the clearing-house API in force: there is nothing "
                    "to revoke.",
                    member=member.display_name,
                )
            )
        keys.sudo()._revoke()
        member.sudo().message_post(
            body=self.env._(
                "%(user)s revoked all the keys of the clearing-house API of this member: "
                "%(count)s key(s) (%(keys)s), refused from now on.",
                user=self.env.user.name,
                count=len(keys),
                keys=", ".join(keys.mapped("name")),
            )
        )
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "success",
                "title": self.env._("Keys of the API revoked"),
                "message": self.env._(
                    "%(count)s key(s) of %(member)s revoked: they open the API no more.",
                    count=len(keys),
                    member=member.display_name,
                ),
                "next": {"type": "ir.actions.client", "tag": "soft_reload"},
            },
        }

    @api.model
    def _revoke_for_archived(self, users):
        """Revoke the keys of API users being archived, noted on their members' chatter."""
        keys = self.sudo().search([("api_user_id", "in", users.ids), ("state", "=", "active")])
        keys._revoke()
        for member in keys.partner_id:
            of_member = keys.filtered(lambda key, m=member: key.partner_id == m)
            member.message_post(
                body=self.env._(
                    "%(user)s archived the API user %(login)s: its %(count)s key(s) of the "
                    "clearing-house API (%(keys)s) are revoked for good.",
                    user=self.env.user.name,
                    login=of_member.api_user_id[:1].login,
                    count=len(of_member),
                    keys=", ".join(of_member.mapped("name")),
                )
            )

    @api.model
    def _adopt_keys(self):
        """Record the keys of the API made before keys were recorded: those of an
        active API user are active; those of an archived one were meant to be
        revoked, and are (Odoo would show them again on reactivation)."""
        self.env.cr.execute(
            """
            SELECT k.id, k.user_id, u.active, u.company_id, p.commercial_partner_id
              FROM res_users_apikeys k
              JOIN res_users u ON u.id = k.user_id
              JOIN res_partner p ON p.id = u.partner_id
             WHERE k.scope = %s
               AND NOT EXISTS (SELECT 1 FROM mlml_api_key m WHERE m.apikey_id = k.id)
             ORDER BY k.id
            """,
            [API_SCOPE],
        )
        rows = self.env.cr.fetchall()
        Account = self.env["mlml.ledger.account"].sudo()
        adopted = self.sudo()
        for apikey_id, user_id, active, company_id, member_id in rows:
            account = Account._ensure(
                self.env["res.company"].browse(company_id),
                self.env["res.partner"].browse(member_id),
            )
            key = self._record(account, self.env["res.users"].browse(user_id), apikey_id)
            if not active:
                key._revoke()
            adopted |= key
        return adopted


class MlmlLedgerAccount(models.Model):
    """The keys of the API on the member's account (see the module)."""

    _inherit = "mlml.ledger.account"

    api_key_ids = fields.One2many(
        comodel_name="mlml.api.key",
        inverse_name="account_id",
        string="API Keys",
        groups="mlml_barter.group_mlml_clearing_staff",
    )
    api_key_count = fields.Integer(
        string="API Keys in Force",
        compute="_compute_api_key_count",
        groups="mlml_barter.group_mlml_clearing_staff",
    )

    @api.depends("api_key_ids.state")
    def _compute_api_key_count(self):
        for account in self:
            account.api_key_count = len(
                account.api_key_ids.filtered(lambda key: key.state == "active")
            )

    def action_revoke_api_keys(self):
        self.ensure_one()
        return self.env["mlml.api.key"]._revoke_member(self.partner_id)


class ResUsers(models.Model):
    """Archiving a member's API user revokes its keys (see the module)."""

    _inherit = "res.users"

    def write(self, vals):
        archived = self.filtered("active") if "active" in vals and not vals["active"] else None
        result = super().write(vals)
        if archived:
            self.env["mlml.api.key"]._revoke_for_archived(archived)
        return result

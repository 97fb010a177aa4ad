from odoo import fields, models
from odoo.tools import SQL, sql

#: The secrets of a company's connection to its ledger: the field of
#: ``res.company`` each one is written through, and its column here.
SECRET_FIELDS = {
    "mlml_clearing_house_key": "clearing_house_key",
    "mlml_cyclos_token": "cyclos_token",
    "mlml_cyclos_password": "cyclos_password",
}


class MlmlConnectionSecret(models.Model):
    """What a member company's Odoo signs in to its ledger with: the API key of
    the clearing house, or the token or password of the company's Cyclos user.

    Written through the company's fields (settings, ``company.write``), never
    read back: the only access row of this model grants nothing, to anyone.
    The add-on reads it in superuser mode where it builds the backend
    (``res.company._mlml_secret``), and tells the settings whether one is saved.
    """

    _name = "mlml.connection.secret"
    _description = "Secrets of a Company's Ledger Connection"
    _log_access = False

    company_id = fields.Many2one(comodel_name="res.company", required=True, ondelete="cascade")
    clearing_house_key = fields.Char(string="Clearing House API Key")
    cyclos_token = fields.Char(string="Cyclos Access Client Token")
    cyclos_password = fields.Char()

    _sql_constraints = [
        ("company_unique", "unique(company_id)", "A company has one set of ledger secrets."),
    ]

    def init(self):
        """The secrets used to be columns of the companies, which their MLML
        managers could read: move them here, then drop those columns. Done once;
        a database installed since has no such columns."""
        cr = self.env.cr
        columns = [name for name in SECRET_FIELDS if sql.column_exists(cr, "res_company", name)]
        if not columns:
            return
        kept = {name: SQL.identifier(name) for name in columns}
        cr.execute(
            SQL(
                """
                INSERT INTO mlml_connection_secret (company_id, %(targets)s)
                SELECT id, %(sources)s FROM res_company
                WHERE (%(any)s)
                AND NOT EXISTS (
                    SELECT 1 FROM mlml_connection_secret WHERE company_id = res_company.id
                )
                """,
                targets=SQL(", ").join(SQL.identifier(SECRET_FIELDS[name]) for name in columns),
                sources=SQL(", ").join(kept.values()),
                any=SQL(" OR ").join(SQL("%s IS NOT NULL", column) for column in kept.values()),
            )
        )
        for column in kept.values():
            cr.execute(SQL("ALTER TABLE res_company DROP COLUMN %s", column))

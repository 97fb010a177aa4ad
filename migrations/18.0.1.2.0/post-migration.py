"""Invoices submitted for compensation before the MLML part was declared with them.

From this version a member declares with each invoice the MLML part it still
accepts (``mlml_open``); the clearing house read the invoices declared before
as accepting all of it in MLML. They are submitted again at the next
submission (their declared due date forgotten), this time with their MLML
part."""


def migrate(cr, version):
    if not version:
        return
    cr.execute(
        """
        UPDATE account_move
           SET mlml_declared_due = NULL
         WHERE move_type = 'out_invoice'
           AND state = 'posted'
           AND mlml_declared_amount <> 0
        """
    )

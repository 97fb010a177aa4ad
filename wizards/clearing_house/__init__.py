# The clearing house's back office.
from . import mlml_transfer_reverse
from . import mlml_transfer_wizard
from . import mlml_ledger_statement_wizard

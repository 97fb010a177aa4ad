# The clearing house's side: the network's ledger, kept in the cooperative's database.
from . import mlml_guards
from . import mlml_ledger_account
from . import mlml_transfer
from . import mlml_payment_request
from . import mlml_api
from . import mlml_network_report
from . import mlml_obligation
from . import mlml_compensation
from . import mlml_api_key

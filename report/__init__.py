from . import mlml_statement_report
from . import mlml_ledger_account_report

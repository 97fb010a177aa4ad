from . import mlml_statement_report

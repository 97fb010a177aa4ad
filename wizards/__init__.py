from . import mlml_bounds_override
from . import mlml_statement_wizard
from . import account_payment_register
from . import mlml_company_settings
from . import clearing_house
from . import mlml_member_request_refuse
from . import mlml_member_suspend

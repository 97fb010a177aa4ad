from . import mlml_activity
from . import mlml_credit_line
from . import res_currency
from . import res_currency_rate
from . import res_company
from . import res_config_settings
from . import res_partner
from . import account_chart_template

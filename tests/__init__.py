from . import test_access
from . import test_credit_line
from . import test_credit_line_race
from . import test_currency
from . import test_journal
from . import test_membership
from . import test_settings
from . import test_tour

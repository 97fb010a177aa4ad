from . import test_currency
from . import test_journal
from . import test_settings

from contextlib import contextmanager

from odoo.addons.account.tests.common import AccountTestInvoicingCommon


class MlmlBarterCommon(AccountTestInvoicingCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.mlml = cls.env.ref("mlml_barter.currency_mlml")

    @contextmanager
    def assert_refused(self, exception, message):
        """The block is refused with ``exception`` saying ``message``, and undone.

        Odoo's ``assertRaises`` rolls the block back to a savepoint (unlike
        ``assertRaisesRegex``), so what follows can check nothing was written.
        """
        with self.assertRaises(exception) as caught:
            yield caught
        self.assertIn(message, str(caught.exception))

"""The backend of a network, from its kind and settings.

The Odoo layer keeps a network's kind ("clearing_house", "cyclos") and its
settings, and calls ``connect(kind, **settings)``: it never names a backend's
class, so that adding a kind of ledger changes this file only.
"""

import importlib

#: The kinds of ledger a network may run, and the module and class of each backend
#: (imported when asked: a network reaches one kind only).
KINDS = {
    "clearing_house": ("clearing_client", "ClearingHouseBackend"),
    "cyclos": ("cyclos", "CyclosBackend"),
}


def connect(kind, **settings):
    """Return the :class:`~.backend.Backend` of a ledger of that ``kind``."""
    if kind not in KINDS:
        raise ValueError(f"kind: {kind!r} is not a kind of ledger; expected one of {sorted(KINDS)}")
    module_name, class_name = KINDS[kind]
    module = importlib.import_module(f".{module_name}", __package__)
    return getattr(module, class_name)(**settings)

#!/usr/bin/env python3
"""Check the add-on's translations: the users work in French.

- every message of ``i18n/mlml_barter.pot`` has a French translation in
  ``i18n/fr.po`` (not empty, not fuzzy), with the same ``%(name)s``
  placeholders, and ``fr.po`` has no message the template lacks;
- ``--exported FILE``: the committed template has the messages of FILE, the
  template that Odoo exports for the add-on (the test command's Odoo tier);
- ``--update FILE``: replace the template by FILE and merge it into
  ``fr.po``, keeping the translations (new messages are left untranslated,
  so the check fails until someone translates them).
"""

import argparse
import re
import shutil
import sys
from pathlib import Path

import polib

I18N = Path(__file__).resolve().parent.parent / "i18n"
POT = I18N / "mlml_barter.pot"
LANGS = ("fr",)
# A message that reads the same in French keeps an empty msgstr (OCA's PO
# format clears a msgstr equal to its msgid) and says so in a comment.
SAME = "identique en français"
PLACEHOLDER = re.compile(r"%\(\w+\)[sdf]|%[sdf]")


def key(entry):
    return (entry.msgctxt, entry.msgid)


def check_translations():
    template = {key(e) for e in polib.pofile(str(POT)) if not e.obsolete}
    problems = []
    for lang in LANGS:
        po = polib.pofile(str(I18N / f"{lang}.po"))
        entries = {key(e): e for e in po if not e.obsolete}
        for msg in sorted(template - entries.keys(), key=str):
            problems.append(f"{lang}.po lacks {msg[1]!r}")
        for msg in sorted(entries.keys() - template, key=str):
            problems.append(f"{lang}.po has {msg[1]!r}, which the template lacks")
        for msg, entry in entries.items():
            if msg not in template:
                continue
            if entry.fuzzy or not (entry.msgstr or entry.tcomment == SAME):
                problems.append(f"{lang}.po: no translation for {entry.msgid!r}")
            elif entry.msgstr and sorted(PLACEHOLDER.findall(entry.msgid)) != sorted(
                PLACEHOLDER.findall(entry.msgstr)
            ):
                problems.append(f"{lang}.po: placeholders differ in {entry.msgid!r}")
    return problems


def check_exported(exported):
    committed = {key(e) for e in polib.pofile(str(POT))}
    fresh = {key(e) for e in polib.pofile(str(exported))}
    problems = [f"the template lacks {m[1]!r}" for m in sorted(fresh - committed, key=str)]
    problems += [
        f"the template has {m[1]!r}, no longer in the add-on"
        for m in sorted(committed - fresh, key=str)
    ]
    if problems:
        problems.append(
            f"update it with: python3 tools/check_i18n.py --update {exported} "
            "(then translate the new messages in i18n/fr.po)"
        )
    return problems


def update(exported):
    shutil.copyfile(exported, POT)
    template = polib.pofile(str(POT))
    for lang in LANGS:
        path = I18N / f"{lang}.po"
        po = polib.pofile(str(path))
        po.merge(template)
        # A message the add-on no longer has leaves the translation too.
        wanted = {key(e) for e in template}
        po[:] = [e for e in po if not e.obsolete and key(e) in wanted]
        po.metadata["Language"] = lang
        po.save(str(path))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--exported", help="the template Odoo exported for the add-on")
    parser.add_argument("--update", help="replace the template by this one and merge it")
    args = parser.parse_args()
    if args.update:
        update(args.update)
    problems = check_exported(args.exported) if args.exported else check_translations()
    for problem in problems:
        print(problem)
    if not problems:
        print("translations complete" if not args.exported else "template up to date")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())

"""`make messages`: the Simplified Chinese catalogue of the API's messages, extracted and compiled.

Extraction is Django's makemessages over our code only (platform/, annotation/, training/: the
browser app, the tests and the benchmarks hold no server messages), into platform/locale's django.po
(settings.LOCALE_PATHS); msgmerge keeps what is translated, a new message comes in with an empty
msgstr and a changed one comes in fuzzy: translate those in the .po, then run this again, which
compiles django.mo. Commit both files: the server reads the .mo, and only this command needs gettext's
tools (xgettext, msgmerge, msgfmt). tests/common_tests/test_error_language.py fails while a message of
the code is missing from the .po, untranslated or fuzzy, or while the .mo lags behind the .po.
"""
from __future__ import annotations

import os

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

LOCALE = "zh_Hans"
# Folders with no server messages (and .venv's third-party code, which has catalogues of its own).
IGNORE = [".venv", "frontend", "node_modules", "tests", "bench", "var"]
# makemessages' options, shared with the test that checks the catalogue holds every message.
EXTRACT = {
    "extensions": ["py"],
    "no_obsolete": True,
    "add_location": "file",  # no line numbers: an edit elsewhere in a file leaves the catalogue alone
    "ignore_patterns": IGNORE,
}


class Command(BaseCommand):
    help = "Re-extract the API's messages into platform/locale's zh_Hans catalogue and compile it."

    def handle(self, *args, **options) -> None:
        os.chdir(settings.REPO_ROOT)  # makemessages reads the tree below the current folder
        verbosity = options["verbosity"]
        call_command("makemessages", locale=[LOCALE], verbosity=verbosity, **EXTRACT)
        call_command("compilemessages", locale=[LOCALE], ignore_patterns=IGNORE, verbosity=verbosity)

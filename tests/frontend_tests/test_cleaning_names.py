"""The cleaning form's words (frontend/src/lib/cleaningNames.ts, messages in locales/<locale>/cleaning.json)
cover the server's step catalogue (GET /cleaning-steps), and its translations are of the catalogue's
current English.

The form shows a title for each step and a label for each parameter and short choice list from the
messages; the descriptions and help texts come from the server in English, and from the messages in
another language. The English messages keep a copy of the server's text each translation was made
from: when a step's description or a parameter's help changes, this test fails until the translations
are brought up to date, so a Chinese page never explains a step that no longer does that.
"""
from __future__ import annotations

from cleaning.steps.registry import describe_steps
from tests.frontend_tests.test_i18n_catalogues import catalogue

# The form ticks choices from lists this short, and names each; longer ones (phone regions) are typed.
SHORT_CHOICES = 16


def _first(messages: dict[str, str], *keys: str) -> str | None:
    return next((messages[key] for key in keys if key in messages), None)


def test_every_step_parameter_and_choice_has_words_in_the_catalogue():
    english = catalogue("en")
    missing = []
    for step in describe_steps():
        op = step["op"]
        for key in (f"cleaning.step.{op}.title", f"cleaning.step.{op}.description"):
            if key not in english:
                missing.append(key)
        for param in step["params"]:
            name = param["name"]
            if _first(english, f"cleaning.param.{op}.{name}", f"cleaning.paramAny.{name}") is None:
                missing.append(f"cleaning.param.{op}.{name} (or cleaning.paramAny.{name})")
            if param["help"] and _first(english, f"cleaning.help.{op}.{name}", f"cleaning.helpAny.{name}") is None:
                missing.append(f"cleaning.help.{op}.{name} (or cleaning.helpAny.{name})")
            choices = param["choices"] or []
            if len(choices) <= SHORT_CHOICES:
                missing += [f"cleaning.choice.{c}" for c in choices if f"cleaning.choice.{c}" not in english]
    assert not missing, "cleaning.json lacks words for the step catalogue:\n" + "\n".join(missing)


def test_the_translations_are_of_the_servers_current_descriptions_and_help():
    english = catalogue("en")
    stale = []
    for step in describe_steps():
        op = step["op"]
        if english.get(f"cleaning.step.{op}.description") != step["description"]:
            stale.append(f"{op}: description is now {step['description']!r}")
        for param in step["params"]:
            name = param["name"]
            kept = _first(english, f"cleaning.help.{op}.{name}", f"cleaning.helpAny.{name}")
            if param["help"] and kept != param["help"]:
                stale.append(f"{op}.{name}: help is now {param['help']!r}")
    assert not stale, (
        "the server's texts changed: copy them into locales/en/cleaning.json and update the translations\n"
        + "\n".join(stale)
    )

"""Every user-visible string is translatable, and French (the default) has all of them."""
import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
CATALOGUE = ROOT / "openflyers_account/translations/fr/LC_MESSAGES/messages.po"


def test_every_message_in_the_code_has_a_french_translation(tmp_path):
    template = tmp_path / "messages.pot"
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", "extract", "-F", "babel.cfg", "-k", "_l",
                    "-k", "lazy_gettext", "-o", str(template), "--no-location", "."],
                   cwd=ROOT, check=True, capture_output=True)
    extracted = read_po(template.open("rb"))
    french = read_po(CATALOGUE.open("rb"), locale="fr")
    missing = []
    for message in extracted:
        if not message.id:
            continue
        translated = french.get(message.id)
        strings = translated.string if translated else None
        if not translated or not (all(strings) if isinstance(strings, tuple) else strings):
            missing.append(message.id)
    assert missing == [], f"run `make messages` and translate: {missing}"


def test_french_translations_keep_every_placeholder():
    french = read_po(CATALOGUE.open("rb"), locale="fr")
    problems = [(message.id, error) for message, errors in french.check() for error in errors]
    assert problems == []

"""The name rule (rules/names.py): which characters a name may not hold, and label class and option
names in configurations (rules/configuration.py) refused with the code point."""

import pytest

from rules import configuration as config
from rules.names import hidden_characters

SPOOFED = "invoice\u202egnp.exe"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("plain name.png", []),
        (SPOOFED, ["\u202e"]),
        ("a\u2066b\u2069c", ["\u2066", "\u2069"]),  # isolates: Cf
        ("a\u200fb\u200eb", ["\u200f", "\u200e"]),  # right-to-left and left-to-right marks: Cf
        ("ca\u200bt", ["\u200b"]),  # zero width space: Cf, two names that look alike
        ("\ufeffbom", ["\ufeff"]),
        ("a\u0085b\x7f", ["\u0085", "\x7f"]),  # Cc beyond ASCII's first 32
        ("line\u2028break", ["\u2028"]),  # Zl
        ("twice\u202e\u202e", ["\u202e"]),
        # Zero-width non-joiner and joiner write Persian words and emoji sequences.
        ("\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645", []),
        ("\U0001f469\u200d\U0001f4bb", []),
        ("\u0645\u062b\u0627\u0644 \u05d3\u05d5\u05d2\u05de\u05d4", []),  # right-to-left letters are fine
    ],
)
def test_hidden_characters(text, expected):
    assert hidden_characters(text) == expected


def test_label_class_and_option_names():
    entries = [
        {"key": "car", "name": "Car\u202e", "kind": "rectangle"},
        {"key": "weather", "kind": "option", "options": [{"key": "sun", "name": "Su\u200bn"}]},
    ]
    with pytest.raises(config.ConfigurationError) as caught:
        config.parse({"entries": entries})
    assert [e.split(":")[0] for e in caught.value.errors] == ["`car`", "`weather`"]
    assert "U+202E" in caught.value.errors[0] and "U+200B" in caught.value.errors[1]

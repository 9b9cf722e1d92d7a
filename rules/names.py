"""What a name users give things (files, projects, datasets, releases, label classes) may hold; pure.

A name is shown to other people, so it must look like what it is. Bidirectional controls (U+202E
turns `invoice\u202egnp.exe` into what reads as `invoiceexe.png`), zero-width and other invisible
format characters (two names that look the same but differ), and control characters are refused:
Unicode categories Cc and Cf, plus the line and paragraph separators and lone surrogates.
projects/names.py makes this a validator for model and form fields.
"""

import unicodedata

# Zero-width non-joiner and joiner are format characters that Persian, Indic scripts and emoji
# sequences need to be written correctly; they join or separate letters and cannot reorder text.
ALLOWED_FORMAT_CHARACTERS = frozenset("\u200c\u200d")
REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})


def hidden_characters(text):
    """The characters of `text` a name may not hold, each once, in order of appearance."""
    found = []
    for char in text:
        if char in ALLOWED_FORMAT_CHARACTERS or char in found:
            continue
        if unicodedata.category(char) in REFUSED_CATEGORIES:
            found.append(char)
    return found


def problem(text, what="A name"):
    """A sentence saying why `text` cannot be a name, or None when it can."""
    found = hidden_characters(text)
    if not found:
        return None
    codes = ", ".join(f"U+{ord(c):04X}" for c in found)
    return (
        f"{what} cannot contain invisible, control or text-direction characters ({codes}): "
        "they make a name look like something else."
    )

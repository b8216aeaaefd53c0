"""Spellings compared as people mean them: a header, a value typed into a field or a
setting, whatever its case, accents and punctuation."""

from __future__ import annotations

import re
import unicodedata


def normalise(text: str) -> str:
    """Lower-case ASCII words: ``'Fällig am'`` → ``'faellig am'``, ``'Cust_ID'`` → ``'cust id'``."""
    text = text.strip().lower()
    for umlaut, ascii_ in (("ä", "ae"), ("ö", "oe"), ("ü", "ue"), ("ß", "ss")):
        text = text.replace(umlaut, ascii_)
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    text = re.sub(r"(?<=[a-z])(?=[0-9])|(?<=[0-9])(?=[a-z])", " ", text)
    return " ".join(re.split(r"[^a-z0-9]+", text)).strip()

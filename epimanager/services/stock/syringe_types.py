"""Product kinds and syringe types (注射器规格): the names the whole stock package shares.

A syringe product's code sits where a vaccine's 4-digit national code does
(``stock_product.vaccine_code``); syringe codes start with letters, so they never meet
a vaccine code.  Users and ``vaccines.json`` name a syringe by its abbreviation
(``AD-0.5``) or its size (``0.5ml``).
"""

from __future__ import annotations

VACCINE = "vaccine"
SYRINGE = "syringe"
KINDS = (VACCINE, SYRINGE)

#: code → (abbreviation, name): 0.1 ml for BCG, 0.5 / 1 ml for injections, 5 ml to reconstitute
SYRINGE_TYPES: dict[str, tuple[str, str]] = {
    "AD01": ("AD-0.1", "自毁型注射器 0.1ml"),
    "AD05": ("AD-0.5", "自毁型注射器 0.5ml"),
    "AD10": ("AD-1", "自毁型注射器 1ml"),
    "MX50": ("MIX-5", "稀释用注射器 5ml"),
}


def syringe_type(text: str) -> str | None:
    """The syringe code ``text`` names — code, abbreviation or size (``0.5ml``); case and blanks ignored."""
    t = text.strip().upper().replace(" ", "")
    for code, (abbr, _name) in SYRINGE_TYPES.items():
        size = abbr.split("-")[1]
        if t in (code, abbr, size, f"{size}ML"):
            return code
    return None

"""Parsing one cell by its field type: amounts, dates, quarters, ids, codes, free text.

Every parser takes the stripped text of a cell and returns a typed value or raises
CellError with the check code that explains what is wrong. Money is Decimal, never float.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from decimal import Decimal

from ..quarter import Quarter
from ..schema import FORMAT, Field, normalize_name

CENT = Decimal("0.01")
ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{2,40}$")
SLUG_PATTERN = re.compile(r"^[a-z][a-z0-9-]{1,30}$")
_PLAIN_AMOUNT = re.compile(r"^-?\d{1,12}(?:\.\d{1,2})?$")
_DATE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")
_COMPACT_DATE = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
# An address that a mailto: link carries whole: no "?", "&", spaces or quotes to smuggle in
# a subject, a body or another recipient.
_EMAIL = re.compile(r"^[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}$")
_PHONE = re.compile(r"^\+?[0-9()\- ]{3,24}(?:转[0-9]{1,6})?$")
_URL = re.compile(r"^https?://[A-Za-z0-9.-]+(?::[0-9]{1,5})?(?:/[A-Za-z0-9._~%!$'()*+,;=:@/-]*)?$")
# Characters no page, feed or spreadsheet should carry: C0 and C1 controls but tab and line
# breaks, and the two non-characters XML forbids.
CONTROL = _CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff]")
_ZERO = {"-", "—", "–", "－", "―", "--"}
_TRUE = {"是", "y", "yes", "true", "1", "√", "✓"}
_FALSE = {"否", "n", "no", "false", "0", ""}

# Personal data that must never be published (checked in every free-text cell).
_DIGIT_RUN = re.compile(r"\d{3}[- ]?\d{4}[- ]?\d{4}")  # cheap pre-check
_PERSONAL = (
    ("身份证号", re.compile(r"(?<![0-9])\d{17}[0-9Xx](?![0-9A-Za-z])")),
    ("银行账号", re.compile(r"(?<![0-9])\d{16,19}(?![0-9])")),
    ("手机号", re.compile(r"(?<![0-9])1[3-9]\d[- ]?\d{4}[- ]?\d{4}(?![0-9])")),
)

CREDIT_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_CREDIT_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


class CellError(ValueError):
    def __init__(self, code: str, value: str | None = None, **details):
        super().__init__(code)
        self.code, self.value, self.details = code, value, details


def parse_amount(text: str, field: Field | None = None) -> Decimal:
    if _PLAIN_AMOUNT.match(text):
        return Decimal(text).quantize(CENT)
    s = unicodedata.normalize("NFKC", text).strip()
    if s in _ZERO:
        return Decimal("0.00")
    negative = s.startswith("(") and s.endswith(")")
    if negative:
        s = s[1:-1]
    for junk in ("¥", "￥", "元", "RMB", "rmb", ",", " "):
        s = s.replace(junk, "")
    if not _PLAIN_AMOUNT.match(s):
        raise CellError("invalid-amount", text)
    value = Decimal(s).quantize(CENT)
    return -value if negative else value


def parse_date(text: str, field: Field | None = None) -> date:
    s = unicodedata.normalize("NFKC", text).strip()
    m = _DATE.match(s) or _COMPACT_DATE.match(s)
    if not m:
        raise CellError("invalid-date", text)
    try:
        return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        raise CellError("invalid-date", text) from None


def parse_quarter(text: str, field: Field | None = None) -> Quarter:
    try:
        return Quarter.parse(text)
    except ValueError:
        raise CellError("invalid-quarter", text) from None


def parse_id(text: str, field: Field | None = None) -> str:
    if not ID_PATTERN.match(text):
        raise CellError("invalid-id", text)
    return text


def parse_slug(text: str, field: Field | None = None) -> str:
    if not SLUG_PATTERN.match(text):
        raise CellError("invalid-id", text)
    return text


def _check_char(first17: str) -> str:
    total = sum(CREDIT_CHARS.index(ch) * w for ch, w in zip(first17, _CREDIT_WEIGHTS, strict=True))
    return CREDIT_CHARS[(31 - total % 31) % 31]


def credit_code_problem(code: str) -> str | None:
    """Why a unified social credit code (GB 32100-2015) is invalid, or None if it is valid."""
    if len(code) != 18:
        return f"应为 18 位，实为 {len(code)} 位"
    bad = sorted({ch for ch in code if ch not in CREDIT_CHARS})
    if bad:
        return f"含有不允许的字符 {'、'.join(bad)}"
    expected = _check_char(code[:17])
    if code[17] != expected:
        return f"校验码应为 {expected}"
    return None


def credit_code_with_checksum(first17: str) -> str:
    """Complete 17 characters with their check character (used by the demo data)."""
    return first17 + _check_char(first17)


def parse_credit_code(text: str, field: Field | None = None) -> str:
    code = unicodedata.normalize("NFKC", text).strip().upper()
    problem = credit_code_problem(code)
    if problem:
        raise CellError("invalid-credit-code", text, detail=problem)
    return code


def mask(text: str) -> str:
    """Hide the middle of a digit run, as owners expect to see a phone number masked."""
    return text[:3] + "*" * max(len(text) - 7, 1) + text[-4:]


def control_characters(text: str) -> str:
    """The control characters in `text`, written as escapes (e.g. "\\x07"), or ""."""
    found = dict.fromkeys(_CONTROL.findall(text))
    return " ".join(ch.encode("unicode_escape").decode("ascii") for ch in found)


def parse_text(text: str, field: Field | None = None) -> str:
    if _CONTROL.search(text):
        raise CellError("control-character", control_characters(text))
    limit = FORMAT.max_text_length
    if len(text) > limit:
        raise CellError("text-too-long", text[:20] + "…", count=len(text), limit=limit)
    if _DIGIT_RUN.search(text):
        for kind, pattern in _PERSONAL:
            m = pattern.search(text)
            if m:
                raise CellError("personal-data", mask(m.group(0)), kind=kind)
    return text


def parse_choice(text: str, field: Field) -> str:
    wanted = normalize_name(text)
    for value in field.values:
        if normalize_name(value) == wanted:
            return value
    raise CellError("invalid-choice", text, choices="、".join(field.values))


def parse_section(text: str, field: Field | None = None) -> str:
    section = FORMAT.section(text)
    if section is None:
        choices = "、".join(f"{s.label}（{s.code}）" for s in FORMAT.sections)
        raise CellError("invalid-choice", text, choices=choices)
    return section.code


def parse_integer(text: str, field: Field | None = None) -> int:
    s = unicodedata.normalize("NFKC", text).strip()
    if not re.fullmatch(r"-?\d{1,9}", s):
        raise CellError("invalid-integer", text)
    return int(s)


def parse_flag(text: str, field: Field | None = None) -> bool:
    s = normalize_name(text)
    if s in _TRUE:
        return True
    if s in _FALSE:
        return False
    raise CellError("invalid-choice", text, choices="是、否")


def parse_list(text: str, field: Field | None = None) -> tuple[str, ...]:
    parts = re.split(r"[;；,，|\s]+", unicodedata.normalize("NFKC", text))
    return tuple(p for p in parts if p)


def parse_email(text: str, field: Field | None = None) -> str:
    if not _EMAIL.match(text):
        raise CellError("invalid-email", text)
    return text


def parse_phone(text: str, field: Field | None = None) -> str:
    s = unicodedata.normalize("NFKC", text).strip()
    if not _PHONE.match(s) or sum(ch.isdigit() for ch in s) < 3:
        raise CellError("invalid-phone", text)
    return s


def parse_url(text: str, field: Field | None = None) -> str:
    if not _URL.match(text):
        raise CellError("invalid-url", text)
    return text


def parse_ids(text: str, field: Field | None = None) -> tuple[str, ...]:
    """A list of ids (former ids): each one must be a valid id, since each becomes a URL."""
    ids = parse_list(text, field)
    for one in ids:
        parse_id(one)
    return ids


def parse_account(text: str, field: Field | None = None) -> str:
    """Keep only the last four digits of a bank account: the rest is never published."""
    digits = re.sub(r"\D", "", unicodedata.normalize("NFKC", text))
    if len(digits) < 4:
        raise CellError("invalid-integer", text)
    return digits[-4:]


PARSERS = {
    "id": parse_id,
    "slug": parse_slug,
    "quarter": parse_quarter,
    "date": parse_date,
    "amount": parse_amount,
    "text": parse_text,
    "choice": parse_choice,
    "section": parse_section,
    "category": lambda text, field=None: text,  # resolved by validate.check_items
    "district": lambda text, field=None: text,  # resolved against districts.yaml by the validator
    "credit_code": parse_credit_code,
    "integer": parse_integer,
    "flag": parse_flag,
    "list": parse_list,
    "email": parse_email,
    "phone": parse_phone,
    "url": parse_url,
    "ids": parse_ids,
    "account": parse_account,
}

from datetime import date
from decimal import Decimal

import pytest

from liangshai.load.cells import (
    CellError,
    credit_code_problem,
    credit_code_with_checksum,
    parse_account,
    parse_amount,
    parse_date,
    parse_text,
)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("1234.5", "1234.50"),
        ("1,234.50", "1234.50"),
        ("¥1234.5", "1234.50"),
        ("￥1,234.5元", "1234.50"),
        ("１２３４．５", "1234.50"),
        ("-", "0.00"),
        ("—", "0.00"),
        ("0", "0.00"),
        ("-12.30", "-12.30"),
        ("(100.00)", "-100.00"),
        ("RMB 8", "8.00"),
    ],
)
def test_amounts(text, expected):
    value = parse_amount(text)
    assert isinstance(value, Decimal) and value == Decimal(expected)
    assert str(value) == expected


@pytest.mark.parametrize(
    "text", ["abc", "1.234", "12..3", "1e5", "NaN", "Infinity", "1 2 3x", "9999999999999", "¥"]
)
def test_bad_amounts(text):
    with pytest.raises(CellError) as err:
        parse_amount(text)
    assert err.value.code == "invalid-amount"


@pytest.mark.parametrize(
    "text",
    [
        "2024-04-20",
        "2024/4/20",
        "2024年4月20日",
        "2024.04.20",
        "20240420",
        "２０２４－０４－２０",
        " 2024 年 4 月 20 日 ",
    ],
)
def test_dates(text):
    assert parse_date(text) == date(2024, 4, 20)


@pytest.mark.parametrize("text", ["2024-02-30", "20/4/2024", "昨天", "2024-4"])
def test_bad_dates(text):
    with pytest.raises(CellError):
        parse_date(text)


def test_credit_code_checksum():
    code = credit_code_with_checksum("91350100M000100Y4")
    assert credit_code_problem(code) is None
    wrong = code[:17] + ("0" if code[17] != "0" else "1")
    assert "校验码" in credit_code_problem(wrong)
    assert "18 位" in credit_code_problem(code[:10])
    assert "不允许" in credit_code_problem(code[:16] + "IO")


def test_known_real_format_code():
    # the check character of a well-formed public example (GB 32100-2015 algorithm)
    assert credit_code_problem("91350100M000100Y43") is None


@pytest.mark.parametrize(
    "text, kind",
    [
        ("请联系 13812345678", "手机号"),
        ("电话 138-1234-5678", "手机号"),
        ("身份证 35010219900101123X", "身份证号"),
        ("账号 6222021234567890123", "银行账号"),
    ],
)
def test_personal_data(text, kind):
    with pytest.raises(CellError) as err:
        parse_text(text)
    assert err.value.code == "personal-data" and err.value.details["kind"] == kind
    assert "*" in err.value.value


@pytest.mark.parametrize(
    "text",
    [
        "合同 HT20240101000123",
        "138****5678",
        "3 号楼 12 部电梯",
        "业主大会决议〔2024〕3号",
        "0591-87654321",
    ],
)
def test_not_personal_data(text):
    assert parse_text(text) == text


def test_account_keeps_last_four_digits_only():
    assert parse_account("6222 0212 3456 7890 123") == "0123"
    assert parse_account("6222****1234") == "1234"

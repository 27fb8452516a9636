from datetime import date

import pytest

from liangshai.quarter import Quarter


@pytest.mark.parametrize(
    "text", ["2024Q1", "2024q1", "2024-Q1", "2024年第一季度", "2024年1季度", "２０２４Ｑ１"]
)
def test_parse(text):
    assert Quarter.parse(text) == Quarter(2024, 1)


@pytest.mark.parametrize("text", ["2024Q5", "Q1", "2024", "2024年第五季度", ""])
def test_parse_rejects(text):
    with pytest.raises(ValueError):
        Quarter.parse(text)


@pytest.mark.parametrize(
    "quarter, due",
    [
        ("2024Q1", date(2024, 4, 30)),
        ("2024Q2", date(2024, 7, 31)),
        ("2024Q3", date(2024, 10, 31)),
        ("2024Q4", date(2025, 1, 31)),
    ],
)
def test_due_is_last_day_of_first_month_of_next_quarter(quarter, due):
    assert Quarter.parse(quarter).due == due


def test_order_and_navigation():
    q = Quarter(2024, 4)
    assert q.next() == Quarter(2025, 1) and q.next().prev() == q
    assert Quarter(2024, 1).range_to(Quarter(2024, 3)) == [
        Quarter(2024, 1),
        Quarter(2024, 2),
        Quarter(2024, 3),
    ]
    assert q.start == date(2024, 10, 1) and q.end == date(2024, 12, 31)
    assert str(q) == "2024Q4" and q.label == "2024年第四季度"
    assert Quarter.of(date(2024, 5, 5)) == Quarter(2024, 2)

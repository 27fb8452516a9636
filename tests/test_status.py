from datetime import date

from liangshai.assess.status import Status, red_flags, status_of
from liangshai.quarter import Quarter

Q1, Q2 = Quarter(2024, 1), Quarter(2024, 2)


def test_statuses_by_rule(folder):
    data = folder.validate()
    on_time = data.statement("rongyin-huayuan", Q2)
    late = data.statement("minjiang-xincun", Q2)  # published 2024-08-10, due 2024-07-31
    assert status_of(on_time, Q2, data.as_of) is Status.ON_TIME
    assert status_of(late, Q2, data.as_of) is Status.LATE
    assert status_of(None, Q2, data.as_of) is Status.MISSING
    assert status_of(None, Q2, date(2024, 7, 31)) is Status.NOT_DUE  # due today: not yet missing
    assert Status.LATE.label == "逾期公示" and Status.MISSING.label == "未公示"


def test_invalid_statement_is_data_error_never_valid_figures(folder):
    folder.edit(
        "statements/2024Q1/statements.csv",
        lambda rows: rows[0].__setitem__("closing_balance", "9999.00"),
    )
    data = folder.validate()
    s = data.statement("rongyin-huayuan", Q1)
    assert status_of(s, Q1, data.as_of) is Status.INVALID
    assert Status.INVALID.label == "数据有误"


def test_red_flags_in_owner_words(folder):
    def change(rows):
        rows[0].update(account_balance="5000.00")

    folder.edit("statements/2024Q1/statements.csv", change)
    folder.edit("statements/2024Q1/items.csv", lambda rows: rows[4].update(approval_ref=""))
    folder.edit("communities.csv", lambda rows: rows[0].update(account_type=""))
    data = folder.validate()
    community = data.communities["rongyin-huayuan"]
    flags = red_flags(community, data.statement("rongyin-huayuan", Q1))
    assert [f.code for f in flags] == [
        "no-special-account",
        "use-without-approval",
        "not-deposited",
    ]
    assert flags[2].text == "有 2,900.00 元公共收益没有存进小区的专户。"
    assert flags[1].text == "有 1 笔公共收益的使用没有写明业主大会的决议。"
    assert (
        red_flags(data.communities["minjiang-xincun"], data.statement("minjiang-xincun", Q1)) == ()
    )

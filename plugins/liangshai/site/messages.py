"""The texts that reach owners outside the site (SPEC §5): an SMS per community and quarter
for the bureau's SMS platform — at most 70 characters, one message — and a WeChat text (title,
two-line summary, link), each with the community's short link (/s/<code>/, stable forever).
Written as publish/data/sms-<quarter>.csv and wechat-<quarter>.csv."""

from __future__ import annotations

import orjson

from ..problems import CannotRun
from ..quarter import Quarter
from ..schema import FORMAT
from .datapackage import csv_rows, csv_table
from .urls import Urls, link_code
from .views import CommunityView

SMS_LIMIT = 70  # characters in one SMS with Chinese text (UCS-2)
QUARTERS = "一二三四"
NAME, DISTRICT = FORMAT.label("communities.name"), FORMAT.label("communities.district")
SMS_COLUMNS = ("community_id", NAME, DISTRICT, "短信", "字数", "短链接")
WECHAT_COLUMNS = ("community_id", "标题", "摘要", "链接")


SHORT_QUARTER = "{}年{}季度"  # 25年二季度: a quarter in as few characters as it reads


def _quarter(q: Quarter) -> str:
    return SHORT_QUARTER.format(q.year % 100, QUARTERS[q.q - 1])


INCOME, CLOSING = FORMAT.label("sections.income"), FORMAT.label("statements.closing_balance")


def sms(view: CommunityView, quarter: Quarter, link: str, qv=None) -> str:
    """「榕荫花园25年二季度公共收益按时公示，收入12,000元，详见 x/s/abcd2345」: status, one figure
    and the link; the figure goes first, then the name is shortened, to stay one message.
    `qv`: the view of that quarter, if it has one."""
    status = qv.status.label if qv else "无需公示"
    figure = ""
    if qv is not None and qv.shown:
        income = qv.statement.totals["income"]
        figure = f"，{INCOME}{income:,.0f}元"
    name = view.community.name
    for text in (figure, ""):
        message = f"{name}{_quarter(quarter)}公共收益{status}{text}，详见 {link}"
        if len(message) <= SMS_LIMIT:
            return message
    spare = SMS_LIMIT - len(message) + len(name) - 1
    return f"{name[:spare]}…{message[len(name) :]}"


def wechat(view: CommunityView, quarter: Quarter, qv=None) -> tuple[str, str]:
    """A WeChat text: title, and a two-line summary (status and figures; whom to ask)."""
    c = view.community
    title = f"{c.name}{quarter.label}公共收益公示"
    if qv is None:
        return title, f"本季度无需公示。\n有疑问请拨打 {view.hotline}。"
    first = f"{qv.status.label}"
    if qv.shown:
        s = qv.statement
        first += f"：{INCOME} {s.totals['income']:,.2f} 元，{CLOSING} {s.closing_balance:,.2f} 元"
    flags = f"；需要注意：{'、'.join(f.label for f in qv.flags)}" if qv.flags else ""
    second = f"有疑问请拨打 {view.hotline} 或 {view.district.bureau} {view.district.phone}。"
    return title, f"{first}{flags}。\n{second}"


def check_codes(communities) -> None:
    """Every id (current and former) has its own short link; a clash is named, never guessed."""
    seen: dict[str, str] = {}
    for c in communities:
        for cid in (c.id, *c.former_ids):
            code = link_code(cid)
            if seen.setdefault(code, cid) != cid:
                why = f"小区 {seen[code]} 与 {cid} 的短链接编码相同（{code}）"
                raise CannotRun(why + "，请联系开发者")


def community_lines(view: CommunityView, quarters: list, urls: Urls) -> dict[str, list[str]]:
    """A community's lines of the SMS and the WeChat file of each quarter it was active in,
    as CSV text: {quarter: [SMS line, WeChat line]}. Kept with its unit between builds."""
    c = view.community
    by_quarter = {x.quarter: x for x in view.quarters}
    link, address = urls.short(c.id), urls.absolute("short", link_code(c.id))
    out = {}
    for q in quarters:
        if not c.active_in(q):
            continue
        qv = by_quarter.get(q)
        text = sms(view, q, link, qv)
        sms_row = (c.id, c.name, view.district.full_name, text, len(text), link)
        wechat_row = (c.id, *wechat(view, q, qv), address)
        out[str(q)] = [
            csv_rows(columns, [dict(zip(columns, row, strict=True))])
            for columns, row in ((SMS_COLUMNS, sms_row), (WECHAT_COLUMNS, wechat_row))
        ]
    return out


KINDS = (("sms", SMS_COLUMNS), ("wechat", WECHAT_COLUMNS))  # in community_lines' order


def layout(quarters: list) -> dict[str, tuple[str, str, str]]:
    """sms-<quarter>.csv and wechat-<quarter>.csv of every quarter counted, as joined.write
    makes them from the communities' lines (community_lines, in community order)."""
    heads = {kind: csv_table(columns, []) for kind, columns in KINDS}
    return {f"{kind}-{q}.csv": (heads[kind], "", "") for q in quarters for kind, _ in KINDS}


def parts(lines: str) -> dict[str, str]:
    """A community's pieces of those files, from its lines as a fragment keeps them (JSON)."""
    return {
        f"{kind}-{q}.csv": text
        for q, texts in orjson.loads(lines).items()
        for (kind, _), text in zip(KINDS, texts, strict=True)
    }

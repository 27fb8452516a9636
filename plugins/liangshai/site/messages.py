"""The texts that reach owners outside the site (SPEC §5): an SMS per community and quarter
for the bureau's SMS platform — at most 70 characters, one message — and a WeChat text (title,
two-line summary, link), each with the community's short link (/s/<code>/, stable forever).
Written as publish/data/sms-<quarter>.csv and wechat-<quarter>.csv."""

from __future__ import annotations

from ..problems import CannotRun
from ..quarter import Quarter
from ..schema import FORMAT
from .datapackage import csv_table
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
        income = qv.statement.total("income")
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
        first += f"：{INCOME} {s.total('income'):,.2f} 元，{CLOSING} {s.closing_balance:,.2f} 元"
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


def message_files(views: dict[str, CommunityView], quarters: list, urls: Urls) -> dict:
    """File name (under data/) → CSV text, for every quarter counted."""
    check_codes(v.community for v in views.values())
    by_quarter = {cid: {x.quarter: x for x in view.quarters} for cid, view in views.items()}
    out = {}
    for q in quarters:
        sms_rows, wechat_rows = [], []
        for cid, view in views.items():
            if not view.community.active_in(q):
                continue
            qv = by_quarter[cid].get(q)
            link = urls.short(cid)
            text = sms(view, q, link, qv)
            values = (cid, view.community.name, view.district.full_name, text, len(text), link)
            sms_rows.append(dict(zip(SMS_COLUMNS, values, strict=True)))
            address = urls.absolute("short", link_code(cid))
            title, summary = wechat(view, q, qv)
            values = (cid, title, summary, address)
            wechat_rows.append(dict(zip(WECHAT_COLUMNS, values, strict=True)))
        out[f"sms-{q}.csv"] = csv_table(SMS_COLUMNS, sms_rows)
        out[f"wechat-{q}.csv"] = csv_table(WECHAT_COLUMNS, wechat_rows)
    return out

"""The registry: districts and communities, checked and joined."""

from __future__ import annotations

from ..load.rows import Record
from ..model import Community, District
from ..problems import Report
from ..schema import FORMAT
from .statements import unread


def first_of_each(records: list[Record], key: str, report: Report, code: str = "duplicate-id"):
    """Yield each record whose `key` was not seen before; report the ones that repeat."""
    seen: dict = {}
    for r in records:
        value = r[key]
        if value is None:
            continue
        if value in seen:
            report.add(
                code,
                file=r.file,
                row=r.row,
                field=key,
                value=value,
                details={"other_row": seen[value].row},
            )
            continue
        seen[value] = r
        yield r


def build_districts(records: list[Record], report: Report) -> dict[str, District]:
    out = {}
    for r in first_of_each(records, "slug", report):
        if r.problems:
            continue  # reported already; a district with a bad field is left out of the site
        out[r["slug"]] = District(**r.values)
    return out


def build_communities(records, districts, report):
    by_name = {}
    for d in districts.values():
        by_name.update({d.slug: d.slug, d.name: d.slug, d.full_name: d.slug})
    communities: dict[str, Community] = {}
    for r in first_of_each(records, "id", report):
        values, problems = dict(r.values), list(r.problems)

        def problem(code, **kw):  # called in this iteration only
            problems.append(report.add(code, file=r.file, row=r.row, **kw))  # noqa: B023

        district = by_name.get(values["district"]) if values["district"] else None
        if values["district"] and district is None:
            choices = "、".join(f"{d.slug}（{d.name}）" for d in districts.values())
            problem(
                "unknown-district",
                field="district",
                label=FORMAT.label("communities.district"),
                value=values["district"],
                details={"choices": choices},
            )
        values["district"] = district
        values["demonstration"] = bool(values["demonstration"])
        values["former_ids"] = values["former_ids"] or ()
        values["former_names"] = values.get("former_names") or ()
        start, end = values.get("active_from"), values.get("active_to")
        if start and end and end < start:
            problem(
                "invalid-active-range", field="active_to", value=str(end), details={"start": start}
            )
        if not values.get("account_type") and not unread(r.problems, "account_type"):
            problem("no-special-account", field="account_type", community_id=values["id"])
        c = Community(**values, problems=problems, file=r.file, row=r.row)
        communities[c.id] = c
    aliases: dict[str, str] = {}
    for c in communities.values():
        for old in c.former_ids:
            other = (
                f"小区 {old}"
                if old in communities
                else (f"小区 {aliases[old]} 的曾用编号" if old in aliases else None)
            )
            if other:
                c.problems.append(
                    report.add(
                        "alias-conflict",
                        file=c.file,
                        row=c.row,
                        field="former_ids",
                        value=old,
                        details={"other": other},
                    )
                )
            else:
                aliases[old] = c.id
    return communities, aliases

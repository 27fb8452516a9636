"""Atom feeds: one per community (its statements and corrections), and the column's.

Links and ids are absolute, from site_url: a feed reader resolves nothing against the feed's
own address.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from .urls import Urls
from .views import CommunityView


def community_feed(env, view: CommunityView, urls: Urls) -> str | None:
    """One entry per published statement and correction; None when there is none."""
    entries = view.feed_entries
    if not entries:
        return None
    return env.get_template("community_feed.xml").render(
        c=view.community,
        author=view.district.bureau,
        link=urls.absolute("community", view.community.id),
        entries=entries,
        updated=max(e.stamp for e in entries),
    )


def column_feed(env, context: dict, index_url: str, urls: Urls, author: str) -> str | None:
    """The column's articles, newest first, each with its own address as xml:base so that
    the relative links in its HTML still lead where they should."""
    articles = sorted(context.get("articles", []), key=lambda a: a.date, reverse=True)
    if not articles:
        return None
    host = urlsplit(urls.site_url).hostname or "localhost"
    first = min(a.date for a in articles)
    return env.get_template("column_feed.xml").render(
        {
            **context,
            "articles": articles,
            "link": f"{urls.site_url}/{index_url}",
            "host": host,
            "tag": f"tag:{host},{first:%Y-%m-%d}:/{index_url}",
            "updated": max(getattr(a, "modified", a.date) for a in articles).isoformat(),
            "author": author,
        }
    )


def write_column_feed(out, env, context: dict, site: dict) -> None:
    """The column's feed, at the column's address + feed.xml."""
    index = out.urls.column()
    feed = column_feed(env, context, index, out.urls, site["bureau"])
    if feed:
        out.file(f"{index}feed.xml", feed)

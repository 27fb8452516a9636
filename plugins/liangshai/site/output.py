"""Where the generator's pages and files go.

Pages go through Pelican's writer (so overwrite protection and signals keep working); data
files (CSV, JSON, Atom, sitemap) are written directly, thousands per build, so with few
system calls: each folder is made once, and an explicit buffer size spares open() its
terminal and block-size checks.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from .pages import variables
from .urls import Urls


class Output:
    def __init__(self, writer, path: str, get_template, context: dict, urls: Urls, relative):
        self.writer, self.path, self.get_template = writer, path, get_template
        self.context, self.urls, self.relative = context, urls, relative
        self._folders: set[str] = set()  # made already

    def page(self, kind: str, key: str, context, template: str | None = None) -> None:
        """The page of this kind and key, its template given the fields of `context`."""
        self.writer.write_file(
            self.urls.save_as(kind, key),
            self.get_template(template or kind),
            self.context,
            relative_urls=self.relative,
            canonical=self.urls.absolute(kind, key),
            page_name=kind,
            **variables(context),
        )

    def redirects(self, pages: list[tuple[str, str, str]]) -> None:
        """A redirect page at each (output path, target URL, target's name)."""
        for save_as, target_url, name in pages:
            self.writer.write_file(
                save_as,
                self.get_template("redirect"),
                self.context,
                relative_urls=self.relative,
                target_url=target_url,
                target_name=name,
                page_name="redirect",
            )

    def file(self, name: str, text) -> None:
        """Write a data file (UTF-8): text, or an iterable of text pieces (streamed)."""
        path = os.path.join(self.path, name)
        folder = os.path.dirname(path)
        if folder not in self._folders:
            os.makedirs(folder, exist_ok=True)
            self._folders.add(folder)
        with open(path, "wb", buffering=1 << 16) as f:
            for piece in [text] if isinstance(text, str) else text:
                f.write(piece.encode("utf-8"))

    def copy(self, src: Path, name: str) -> None:
        dest = Path(self.path) / name
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, dest)

    def link(self, src: Path, name: str) -> None:
        """Put a cached file into the output: a hard link where possible, else a copy."""
        dest = Path(self.path) / name
        dest.parent.mkdir(parents=True, exist_ok=True)
        if dest.exists():
            dest.unlink()
        try:
            os.link(src, dest)
        except OSError:
            shutil.copyfile(src, dest)

"""晾晒 Liangshai: residential-community public-income statements, validated and published.

The stages, each a subpackage that imports only earlier ones (tests/test_architecture.py):

  load → validate → assess → exports → site → build, with demo and commands on top,

over the shared vocabulary of this folder: the format (format.yaml, schema), quarters, problems,
the model, settings, content digests and the worker pool.

As a Pelican plugin (PLUGINS = ["liangshai"]), `register()` connects the site stage.
"""


def register():
    """Pelican's entry point. The site stage (and Pelican) is imported only here, so that the
    commands that never render a page do not pay for it."""
    from .site.plugin import connect

    connect()

"""Build: the site rendered atomically into a new tree and swapped in; incremental reuse."""

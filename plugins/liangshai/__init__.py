"""晾晒 Liangshai: residential-community public-income statements, validated and published.

The pipeline, one module per stage:
  schema (format.yaml) → load → validate → model / status → metrics → render (pages, QR, posters).
"""

"""Load: files → records. What is in the data folder (layout), how bytes become text (files),
the readers of each kind (CSV and YAML in text, Excel in workbook, seal files in seals), and
cells parsed by their field type (cells, rows). Nothing here judges a statement.
"""

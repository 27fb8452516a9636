"""Exports: what the bureau and property companies open in Excel: the monthly export, the
blank templates, the data dictionary, and the cell rules every spreadsheet writer follows.
"""

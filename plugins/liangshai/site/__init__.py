"""Site: Pelican. A thin generator, the one URL builder, page contexts and view models, the
unified table, charts, filters, open data, QR codes and posters.
"""

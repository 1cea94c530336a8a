"""Cleaning one site: register and survey rows into pseudonymised canonical tables, every row not kept in the
ledger, and the site's quality figures."""

"""Brobygning analysis package: cleaning, pseudonymisation, retention models and reports.

Notebooks narrate and call this package; all logic lives here and is unit-tested.
"""

__version__ = "0.2.0"

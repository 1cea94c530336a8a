"""Reports: message catalogues, tables, figures, disclosure control and provenance for the HTML reports."""

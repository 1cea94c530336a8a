"""Reading raw files: cells exactly as the export holds them, one cell parsed at a time, headers and labels mapped
through the project's codebook."""

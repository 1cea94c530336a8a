"""A project is config and raw data: loading and validating its config, site sheet and codebook against the
schemas shipped in `schemas/`, and listing its raw files."""

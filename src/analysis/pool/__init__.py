"""Pooling the cleaned sites of a project into project-wide tables (`python -m analysis.pool`)."""

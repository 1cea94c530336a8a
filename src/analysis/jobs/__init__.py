"""How the workflow runs one notebook job: papermill, HTML export, atomic outputs, one line on failure."""

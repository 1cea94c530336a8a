"""Commands around the pipeline, never imported by a stage: init, check, audit and the browser checks."""

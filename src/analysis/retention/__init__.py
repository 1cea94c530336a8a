"""Retention: person-months, Kaplan-Meier, discrete-time hazard models, Cox and site comparisons."""

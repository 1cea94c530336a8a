"""Synthetic data for Brobygning: a known truth (population) and the messy raw files it would leave behind
(raw_export), and planning a new evaluation by simulating it (plan, plan_report: `python -m analysis plan`).
The command line entry point is `python -m analysis.simulation`."""

from analysis.simulation.population import SimulationParameters, SiteSpec, project_parameters, simulate_population

__all__ = ["SimulationParameters", "SiteSpec", "project_parameters", "simulate_population"]

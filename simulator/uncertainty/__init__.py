"""Uncertainty: the log-compute model, exact and Monte Carlo bands, bands for tables of systems."""

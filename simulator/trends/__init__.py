"""Compute trends: fits, eras, projections, algorithmic efficiency, plots."""

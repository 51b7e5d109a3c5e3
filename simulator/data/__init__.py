"""Datasets of systems: tables of data points and the columns they use."""

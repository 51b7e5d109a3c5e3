"""What-if sweeps: axes, grid, materialise | reduce | inverse, grid bands, scenario files."""

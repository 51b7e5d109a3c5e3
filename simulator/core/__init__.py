"""The model: units, quantities, distributions, the two methods, layer shapes, worked examples, errors."""

"""The case's application layer: loads and stores cases around the pure domain rules."""

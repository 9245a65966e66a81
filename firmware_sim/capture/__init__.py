"""A simulated camera: desk scenes with a page at known corners, and harder photographs of codes."""

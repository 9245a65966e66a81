"""Figures a service centre is judged by, computed from the case rows (issue 20)."""

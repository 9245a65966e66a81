"""Pickup lockers: release results into compartments, collect at any hour, electronic delivery receipt."""

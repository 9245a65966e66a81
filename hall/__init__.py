"""Shared plumbing of the service hall: configuration, logging, privacy helpers, the `hall` CLI."""

"""One .py and one .kv per screen."""

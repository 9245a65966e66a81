"""The queue of the hall: tickets, calling, displays and voice, wait estimates, evaluators (好差评)."""

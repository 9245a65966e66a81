"""The queue's simulated devices: main display, window LEDs, caller keypads, evaluators, ticket printer."""

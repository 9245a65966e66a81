"""The kiosk's flow as a pure state machine: `step(state, event) -> (state, effects)`, no I/O, no Kivy."""

from kiosk.flow.machine import FlowConfig, initial_state, step

__all__ = ["FlowConfig", "initial_state", "step"]

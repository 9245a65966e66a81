"""The touch tests' runner: tools/kiosk_touch.py with the scenarios of tests/kiosk/touch_scenarios.py.

python -m tests.kiosk.touching --scenario NAME --case-service-url URL --out DIR [--language zh]
"""

from __future__ import annotations

import sys

from tools.kiosk_touch import (
    Finger,
    Hands,
    ScenarioError,
    _text_inputs,
    _texts,
    _tree,
    main,
    visible_buttons,
)

__all__ = ["Finger", "Hands", "ScenarioError", "_text_inputs", "_texts", "_tree", "visible_buttons"]

if __name__ == "__main__":
    sys.exit(main(scenarios="tests.kiosk.touch_scenarios"))

"""Building blocks for the settings sections each package owns (`<package>/config.py`)."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from hall.models import Strict

Port = Annotated[int, Field(ge=1, le=65535)]
DEVICE_ID_PATTERN = r"^[a-z0-9][a-z0-9-]{0,62}$"


class Section(Strict):
    """A nested settings section: `HALL_<SECTION>__<FIELD>` in the environment; unknown keys refused."""

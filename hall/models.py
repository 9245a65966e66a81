"""The one strict base of the hall's pydantic models: request bodies, wire payloads, config sections.

Unknown fields are refused (a misspelt field is an error, not silently dropped) and a parsed model is
immutable (`model_copy(update=...)` makes a changed one).
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

"""Types shared by the config sections."""
from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

NAME = r"^[A-Za-z0-9_-]+$"
THRESHOLD = r"^(mean|p([1-9]|[1-9][0-9])(\.[0-9]+)?)$"
DEVICE = r"^(auto|cpu|cuda(:[0-9]+)?)$"
# np.random.seed and torch.manual_seed take seeds in [0, 2**32)
MAX_SEED = 2**32 - 1

# a task's name is a folder under `results` and a Snakemake wildcard value: lower case, digits, underscores
TASK_NAME = r"^[a-z][a-z0-9_]*$"
TaskName = Annotated[str, Field(pattern=TASK_NAME)]
FeatureName = Annotated[str, Field(pattern=NAME)]
Threshold = Annotated[str, Field(pattern=THRESHOLD)]
Seed = Annotated[int, Field(ge=0, le=MAX_SEED)]
Positive = Annotated[int, Field(ge=1)]
Device = Annotated[str, Field(pattern=DEVICE)]
VARIANT = r"(full|mean|p([1-9]|[1-9][0-9])(\.[0-9]+)?)"
Variant = Annotated[str, Field(pattern=f"^{VARIANT}$")]
# a fusion member: feature[:variant]
Member = Annotated[str, Field(pattern=f"^[A-Za-z0-9_-]+(:{VARIANT})?$")]


class Section(BaseModel):
    """A config section: unknown keys are errors (a typo never passes silently)."""

    model_config = ConfigDict(extra="forbid", strict=True)


def no_repeats(values: list) -> list:
    """A list whose entries name distinct things (seeds, thresholds, targets...): a repeat is a mistake."""
    repeated = sorted({repr(v) for v in values if values.count(v) > 1})
    if repeated:
        raise ValueError(f"{', '.join(repeated)} listed more than once")
    return values


# `Annotated[list[X], Unique]` with `Field(..., json_schema_extra=UNIQUE)`: checked here and in the schema
Unique = AfterValidator(no_repeats)
UNIQUE = {"uniqueItems": True}

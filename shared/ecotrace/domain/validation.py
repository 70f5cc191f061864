"""Validate data into a pydantic model, or raise the project's ValidationError naming the first bad field."""

from __future__ import annotations

from typing import Any, TypeVar

import pydantic
from pydantic import BaseModel

from ..errors import ValidationError

M = TypeVar("M", bound=BaseModel)


def validated(model: type[M], data: Any, what: str) -> M:
    try:
        return model.model_validate(data)
    except pydantic.ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or what
        raise ValidationError(
            f"{what}.{where}: {first['msg']}" if where != what else f"{what}: {first['msg']}",
            details={"field": where, "errors": len(exc.errors())},
        ) from exc

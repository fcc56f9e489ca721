"""SmartFactory: an open smart-factory platform for small manufacturers, on one DuckDB file."""

from __future__ import annotations

from .errors import (
    ConfigError,
    FileFormatError,
    InputError,
    KindDetectionError,
    NotFoundError,
    SchemaVersionError,
    SmartFactoryError,
    StoreError,
    StoreLockedError,
    UnknownKindError,
)
from .model import KINDS, EquipmentPath, State
from .store.db import AppendResult, Store, open_store

__version__ = "0.1.0"

__all__ = [
    "KINDS",
    "AppendResult",
    "ConfigError",
    "EquipmentPath",
    "FileFormatError",
    "InputError",
    "KindDetectionError",
    "NotFoundError",
    "SchemaVersionError",
    "SmartFactoryError",
    "State",
    "Store",
    "StoreError",
    "StoreLockedError",
    "UnknownKindError",
    "__version__",
    "open_store",
]

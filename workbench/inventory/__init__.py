"""The prefecture file: models, loading, validation and atomic saving (CONTRACT.md)."""

from .checks import checked, validate
from .models import Levels, Platform, Prefecture, Service, Target, Terms, cross_check
from .yamlio import (
    StaleFileError,
    allow_readonly,
    atomic_write,
    file_lock,
    load,
    loads,
    save,
    source_path,
    to_yaml,
)

__all__ = [
    "Levels",
    "Platform",
    "Prefecture",
    "Service",
    "StaleFileError",
    "Target",
    "Terms",
    "allow_readonly",
    "atomic_write",
    "checked",
    "cross_check",
    "file_lock",
    "load",
    "loads",
    "save",
    "source_path",
    "to_yaml",
    "validate",
]

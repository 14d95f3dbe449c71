"""The prefecture file: models, loading, validation and atomic saving (CONTRACT.md)."""

from .models import Levels, Platform, Prefecture, Service, Target, Terms, cross_check
from .yamlio import StaleFileError, atomic_write, load, loads, save, source_path, to_yaml

__all__ = [
    "Levels",
    "Platform",
    "Prefecture",
    "Service",
    "StaleFileError",
    "Target",
    "Terms",
    "atomic_write",
    "cross_check",
    "load",
    "loads",
    "save",
    "source_path",
    "to_yaml",
]

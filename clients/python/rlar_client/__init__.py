"""Client and trainer adapters for the RLAR reward service."""

from .client import RlarClient, RlarError, default_client

__all__ = ["RlarClient", "RlarError", "default_client"]
__version__ = "0.1.0"

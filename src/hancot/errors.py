"""Typed errors.  Every error a user can cause carries a message saying what was wrong."""

from __future__ import annotations


class HancotError(Exception):
    """Base class of every error hancot raises on purpose."""


class ZclDecodeError(HancotError):
    """A ZCL frame could not be decoded.

    ``status`` is the ZCL status a receiving device answers with (ZCL r8 2.5.3 / Table 2-12),
    e.g. MALFORMED_COMMAND or UNSUP_CLUSTER_COMMAND.
    """

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


class DuisError(HancotError):
    """A DUIS request could not be accepted (malformed XML, unknown service, bad value)."""


class GbcsError(HancotError):
    """A GBCS message could not be parsed or built."""


class ScenarioError(HancotError):
    """A scenario or premises was configured wrongly."""

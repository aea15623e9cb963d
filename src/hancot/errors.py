"""Typed errors.  Every error a user can cause carries a message saying what was wrong."""

from __future__ import annotations


class HancotError(Exception):
    """Base class of every error hancot raises on purpose."""


class ZclError(HancotError):
    """A ZCL command cannot be carried out; ``status`` is the ZCL status the receiving device
    answers with in its Default Response (ZCL r8 2.5.12, Table 2-12), e.g. NOT_FOUND."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


class ZclDecodeError(ZclError):
    """A ZCL frame could not be decoded (MALFORMED_COMMAND, UNSUP_CLUSTER_COMMAND ...)."""


class DuisError(HancotError):
    """A DUIS request could not be accepted (malformed XML, unknown service, bad value)."""


class GbcsError(HancotError):
    """A GBCS message could not be parsed or built."""


class ScenarioError(HancotError):
    """A scenario or premises was configured wrongly."""

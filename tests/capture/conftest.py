"""Fixtures of the capture tests."""

from __future__ import annotations

import pytest

from hancot.capture.security import KeyRing
from hancot.han.frame import HanFrame

from .samples import (
    CHF,
    ESME,
    IHD,
    NETWORK_KEY,
    T0,
    display_message,
    read_cot_attributes,
    read_cot_response,
)


@pytest.fixture
def keyring() -> KeyRing:
    return KeyRing(NETWORK_KEY)


@pytest.fixture
def frames() -> list[HanFrame]:
    """A CoT exchange: IHD reads the tenancy attributes, ESME answers, CHF relays a message."""
    return [
        HanFrame(T0, IHD, ESME, 0x0708, read_cot_attributes()),
        HanFrame(T0 + 1, ESME, IHD, 0x0708, read_cot_response()),
        HanFrame(T0 + 2, CHF, IHD, 0x0703, display_message(), aps_secured=True),
        HanFrame(T0 + 3, IHD, ESME, 0x0708, read_cot_attributes(0x13), aps_secured=True),
    ]

"""The wire layer: simulated HAN traffic as real 802.15.4 / Zigbee PRO frames in pcap files.

Layers, one module each: :mod:`~hancot.capture.mac` (IEEE 802.15.4 MAC + FCS),
:mod:`~hancot.capture.nwk` (Zigbee NWK), :mod:`~hancot.capture.aps` (Zigbee APS),
:mod:`~hancot.capture.security` (auxiliary header, AES-CCM*, keys), :mod:`~hancot.capture.pcap`
(file format).  :mod:`~hancot.capture.encoder` / :mod:`~hancot.capture.decoder` join the layers;
:mod:`~hancot.capture.writer` / :mod:`~hancot.capture.reader` add files.
"""

from hancot.capture.decoder import CaptureRecord, decode_frame
from hancot.capture.encoder import FrameEncoder
from hancot.capture.reader import read_capture
from hancot.capture.security import KeyRing, link_key_from_install_code
from hancot.capture.writer import CaptureWriter, network_key_text, wireshark_key_options

__all__ = [
    "CaptureRecord",
    "CaptureWriter",
    "FrameEncoder",
    "KeyRing",
    "decode_frame",
    "link_key_from_install_code",
    "network_key_text",
    "read_capture",
    "wireshark_key_options",
]

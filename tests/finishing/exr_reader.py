"""A minimal OpenEXR reader for the tests: scanline files, one 32-bit float channel, no or ZIP
compression - written from the OpenEXR file layout, independent of the OpenEXR library that writes
the files, so a test sees exactly the bits a game engine would load."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import numpy as np

_MAGIC = 20000630
_COMPRESSION = {0: ("none", 1), 2: ("zips", 1), 3: ("zip", 16)}


def read_single_channel_exr(path: Path) -> tuple[str, np.ndarray]:
    """(channel name, (H, W) raw little-endian 32-bit words as uint32) of a one-channel FLOAT EXR."""
    data = Path(path).read_bytes()
    magic, _version = struct.unpack_from("<ii", data, 0)
    if magic != _MAGIC:
        raise ValueError(f"{path} is not an OpenEXR file")
    attributes, offset = _header(data, 8)
    channels = _channels(attributes["channels"])
    if len(channels) != 1 or channels[0][1] != 2:  # pixel type 2 = FLOAT
        raise ValueError(f"expected one FLOAT channel, got {channels}")
    x_min, y_min, x_max, y_max = struct.unpack("<iiii", attributes["dataWindow"])
    width, height = x_max - x_min + 1, y_max - y_min + 1
    method, lines = _COMPRESSION[attributes["compression"][0]]
    chunks = -(-height // lines)
    table = struct.unpack_from(f"<{chunks}Q", data, offset)
    rows = np.zeros((height, width), np.uint32)
    for chunk_offset in table:
        y, size = struct.unpack_from("<ii", data, chunk_offset)
        block = data[chunk_offset + 8 : chunk_offset + 8 + size]
        count = min(lines, y_max + 1 - y)
        raw = block if method == "none" or size == count * width * 4 else _unzip(block)
        rows[y - y_min : y - y_min + count] = np.frombuffer(raw, "<u4").reshape(count, width)
    return channels[0][0], rows


def _header(data: bytes, offset: int) -> tuple[dict, int]:
    attributes = {}
    while data[offset] != 0:
        name_end = data.index(b"\0", offset)
        type_end = data.index(b"\0", name_end + 1)
        (size,) = struct.unpack_from("<i", data, type_end + 1)
        start = type_end + 5
        attributes[data[offset:name_end].decode()] = data[start : start + size]
        offset = start + size
    return attributes, offset + 1


def _channels(value: bytes) -> list[tuple[str, int]]:
    channels, offset = [], 0
    while value[offset] != 0:
        end = value.index(b"\0", offset)
        (pixel_type,) = struct.unpack_from("<i", value, end + 1)
        channels.append((value[offset:end].decode(), pixel_type))
        offset = end + 1 + 16
    return channels


def _unzip(block: bytes) -> bytes:
    """zlib, then undo OpenEXR's byte predictor and its split of even and odd bytes."""
    predicted = np.frombuffer(zlib.decompress(block), np.uint8).astype(np.int64)
    restored = (np.cumsum(np.concatenate([[predicted[0]], predicted[1:] - 128])) % 256).astype(np.uint8)
    half = (restored.size + 1) // 2
    out = np.empty_like(restored)
    out[0::2], out[1::2] = restored[:half], restored[half:]
    return out.tobytes()

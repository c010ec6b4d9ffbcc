"""Random streams: one independent generator per named source of randomness.

Replication ``r`` of seed ``s`` draws stream ``name`` from
``numpy.random.SeedSequence(s, spawn_key=(r, stream_key(name)))``, where the key is the
CRC-32 of the stream's name: a stream's draws depend on its name only, never on its
position in :data:`STREAMS`, so adding a stream later leaves every existing stream's
draws as they were (common random numbers across versions). No global RNG.
Keeping each quantity on its own stream gives common random numbers: two staffing
plans run with the same seed see the same customers, because the arrival, patience
and triage streams depend on nothing the plan changes.
"""

from __future__ import annotations

import zlib

import numpy as np

from sim.scenario import SERVICE_ZONES

#: Largest seed accepted anywhere (a signed 64-bit integer, so every tool downstream can store it).
MAX_SEED = 2**63 - 1

#: Stream names: arrivals (times, segments, needs), patience, triage uniforms,
#: referral uniforms, sales uniforms, field marketing, and each zone's service times.
STREAMS = ("arrivals", "patience", "triage", "referral", "sales", "field", *(f"service_{z}" for z in SERVICE_ZONES))


def stream_key(name: str) -> int:
    """The spawn-key entry of stream ``name``: the CRC-32 of its UTF-8 name (stable across
    Python versions and machines, unlike ``hash``)."""
    return zlib.crc32(name.encode("utf-8"))


def streams(seed: int, replication: int) -> dict[str, np.random.Generator]:
    """One generator per stream of :data:`STREAMS` for replication ``replication`` of ``seed``."""
    return {name: np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(replication, stream_key(name))))
            for name in STREAMS}

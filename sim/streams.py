"""Random streams: one independent generator per named source of randomness.

Replication ``r`` of seed ``s`` draws stream ``name`` from
``numpy.random.SeedSequence(s, spawn_key=(r, stream_key(name)))``, where the key is the
CRC-32 of the stream's name: a stream's draws depend on its name only, never on its
position in :data:`STREAMS`, so adding a stream later leaves every existing stream's
draws as they were (common random numbers across versions). No global RNG.
Keeping each quantity on its own stream gives common random numbers: two staffing
plans run with the same seed see the same customers, because the arrival, patience
and triage streams depend on nothing the plan changes.

A day's streams are made on first use (:class:`Streams`): a stream a day never reads
(a zone without a service time, field marketing with nobody outside, patience nobody
has) costs nothing, and one that is read draws exactly what it always drew, since each
generator depends on its name only.
"""

from __future__ import annotations

import zlib

import numpy as np

from sim.codes import SERVICE_ZONES

#: Largest seed accepted anywhere (a signed 64-bit integer, so every tool downstream can store it).
MAX_SEED = 2**63 - 1

#: Stream names: arrivals (times, segments, needs), patience, triage uniforms,
#: referral uniforms, sales uniforms, field marketing, each zone's service times, and
#: the minutes of selling, lobby pitches and walk-in prospects (the last three read only with their lever).
STREAMS = ("arrivals", "patience", "triage", "referral", "sales", "field", *(f"service_{z}" for z in SERVICE_ZONES),
           "selling", "lobby_pitch", "walk_in")


def stream_key(name: str) -> int:
    """The spawn-key entry of stream ``name``: the CRC-32 of its UTF-8 name (stable across
    Python versions and machines, unlike ``hash``)."""
    return zlib.crc32(name.encode("utf-8"))


#: ``stream_key`` of every stream of :data:`STREAMS`, computed once.
_KEYS = {name: stream_key(name) for name in STREAMS}


class Streams(dict[str, np.random.Generator]):
    """The generators of one replication of one seed, each made when first looked up.

    A plain ``dict`` to its readers; looking up a name outside :data:`STREAMS` raises
    ``KeyError`` as before.
    """

    __slots__ = ("replication", "seed")

    def __init__(self, seed: int, replication: int) -> None:
        super().__init__()
        self.seed = seed
        self.replication = replication

    def __missing__(self, name: str) -> np.random.Generator:
        rng = np.random.default_rng(np.random.SeedSequence(self.seed, spawn_key=(self.replication, _KEYS[name])))
        self[name] = rng
        return rng


def streams(seed: int, replication: int) -> Streams:
    """One generator per stream of :data:`STREAMS` for replication ``replication`` of ``seed``
    (each made on first use; see :class:`Streams`)."""
    return Streams(seed, replication)

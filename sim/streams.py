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

Making a stream is a fixed cost of every simulated day (about a tenth of a 150-customer
day's time when each was a fresh ``SeedSequence``). The words a ``SeedSequence`` hands its
generator depend on its entropy word by word: the seed's words are mixed into the pool
first, then the replication's, then the stream key's. So the pool after the seed is kept
per seed (:func:`_seed_pool`), a day mixes its replication in once, and each stream mixes
only its own key (:class:`_Pool`) — the same words, so the same generator state and the
same draws as ``numpy.random.SeedSequence(s, spawn_key=(r, key))`` (checked word for word
against numpy in ``tests/test_streams.py``).
"""

from __future__ import annotations

import operator
import zlib
from functools import lru_cache
from typing import cast

import numpy as np
from numpy.random.bit_generator import ISeedSequence
from numpy.typing import DTypeLike

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


# numpy.random.SeedSequence's mixing (M. E. O'Neill's seed_seq_fe, as numpy implements it with a pool of
# four 32-bit words): its published hash and mix constants and its 16-bit xor-shift.
_MASK = 0xFFFFFFFF
_INIT_A, _MULT_A = 0x43B0D7E5, 0x931E8875  # hashing entropy into the pool
_INIT_B, _MULT_B = 0x8B51F9DD, 0x58F38DED  # hashing the pool into the generator's words
_MIX_L, _MIX_R = 0xCA01F9DD, 0x4973F715
_POOL_SIZE = 4

#: A pool part way through the mixing: its four words and the next entropy hash constant.
_Mixing = tuple[tuple[int, ...], int]


def _words(value: int) -> list[int]:
    """``value`` as SeedSequence reads an integer of entropy: 32-bit words, least significant first (``[0]``
    for 0)."""
    if value < 0:
        raise ValueError(f"a seed or spawn key must be a non-negative integer, got {value}")
    out = [value & _MASK]
    value >>= 32
    while value:
        out.append(value & _MASK)
        value >>= 32
    return out


def _hash(word: int, h: int) -> tuple[int, int]:
    """One entropy word hashed with constant ``h``: the hashed word and the next constant."""
    word ^= h
    h = (h * _MULT_A) & _MASK
    word = (word * h) & _MASK
    return word ^ (word >> 16), h


def _mix(x: int, y: int) -> int:
    r = (_MIX_L * x - _MIX_R * y) & _MASK
    return r ^ (r >> 16)


def _absorb(mixing: _Mixing, word: int) -> _Mixing:
    """An entropy word beyond the pool's size mixed into every word of the pool, in order."""
    pool, h = mixing
    out = []
    for x in pool:  # _hash then _mix, written out: a stream is made from one of these (a fixed cost a day)
        v = word ^ h
        h = (h * _MULT_A) & _MASK
        v = (v * h) & _MASK
        r = (_MIX_L * x - _MIX_R * (v ^ (v >> 16))) & _MASK
        out.append(r ^ (r >> 16))
    return tuple(out), h


@lru_cache(maxsize=64)
def _seed_pool(seed: int) -> _Mixing:
    """The pool once the seed's words are in: the words (padded with zeros to the pool's size, as they are
    when a spawn key follows) hashed in, each word mixed into every other, then any words beyond the pool.
    The same for every replication and stream of a seed, so kept (a run uses a handful of seeds)."""
    entropy = _words(seed)
    entropy += [0] * (_POOL_SIZE - len(entropy))
    pool, h = [0] * _POOL_SIZE, _INIT_A
    for i in range(_POOL_SIZE):
        pool[i], h = _hash(entropy[i], h)
    for src in range(_POOL_SIZE):
        for dst in range(_POOL_SIZE):
            if src != dst:
                hashed, h = _hash(pool[src], h)
                pool[dst] = _mix(pool[dst], hashed)
    mixing: _Mixing = (tuple(pool), h)
    for word in entropy[_POOL_SIZE:]:
        mixing = _absorb(mixing, word)
    return mixing


def _output_constants(n: int) -> list[tuple[int, int]]:
    """The ``(xor, multiply)`` constants of the generator's first ``n`` 32-bit words (data-independent)."""
    out, h = [], _INIT_B
    for _ in range(n):
        nxt = (h * _MULT_B) & _MASK
        out.append((h, nxt))
        h = nxt
    return out


#: Enough output constants for a PCG64 (8 words); more are made when asked.
_OUTPUT = _output_constants(8)


class _Pool(ISeedSequence):
    """A finished entropy pool, handing the generator the words ``SeedSequence.generate_state`` would."""

    __slots__ = ("pool",)

    def __init__(self, pool: tuple[int, ...]) -> None:
        self.pool = pool

    def generate_state(self, n_words: int, dtype: DTypeLike = np.uint32) -> np.ndarray:
        """``n_words`` words of ``dtype`` (``uint32`` or ``uint64``, as ``SeedSequence.generate_state``)."""
        wide = dtype is np.uint64 or np.dtype(dtype) == np.uint64
        if not wide and np.dtype(dtype) != np.uint32:
            raise TypeError("only support uint32 or uint64")
        n = 2 * n_words if wide else n_words
        consts = _OUTPUT[:n] if n <= len(_OUTPUT) else _output_constants(n)
        cycled = self.pool * (n // _POOL_SIZE + 1)  # word i comes from pool word i mod 4
        out = [((p ^ x) * m) & _MASK for p, (x, m) in zip(cycled, consts, strict=False)]  # cycled is longer
        out = [v ^ (v >> 16) for v in out]
        if wide:  # two words a number, the first the low half (as numpy reads them, whatever the machine)
            return np.array([lo | hi << 32 for lo, hi in zip(out[::2], out[1::2], strict=True)], dtype=np.uint64)
        return np.array(out, dtype=np.uint32)


class Streams(dict[str, np.random.Generator]):
    """The generators of one replication of one seed, each made when first looked up.

    A plain ``dict`` to its readers; looking up a name outside :data:`STREAMS` raises
    ``KeyError`` as before.
    """

    __slots__ = ("_day", "replication", "seed")

    def __init__(self, seed: int, replication: int) -> None:
        super().__init__()
        self.seed = operator.index(seed)  # a numpy integer as the Python int SeedSequence reads
        self.replication = operator.index(replication)
        self._day: _Mixing | None = None

    def __missing__(self, name: str) -> np.random.Generator:
        key = _KEYS[name]
        if self._day is None:  # the seed's pool with the replication's words in, once a day
            day = _seed_pool(self.seed)
            for word in _words(self.replication):
                day = _absorb(day, word)
            self._day = day
        pool, _ = _absorb(self._day, key)  # a CRC-32: one word
        # any ISeedSequence seeds a bit generator (numpy's stubs name only SeedSequence)
        rng = np.random.Generator(np.random.PCG64(cast(np.random.SeedSequence, _Pool(pool))))
        self[name] = rng
        return rng


def streams(seed: int, replication: int) -> Streams:
    """One generator per stream of :data:`STREAMS` for replication ``replication`` of ``seed``
    (each made on first use; see :class:`Streams`)."""
    return Streams(seed, replication)

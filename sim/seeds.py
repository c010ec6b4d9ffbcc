"""Every seed the package derives from a run's seed, in one place.

All randomness is drawn from ``numpy.random.SeedSequence(seed, spawn_key=key)``: the
run's seed and a key naming the purpose (a replication, a stream, a day, an outlet, an
optimiser stage). A key, not a counter, so a draw does not depend on the order in which
work runs or on the executor; no global generator is ever used. The purposes:

- the engine's streams of one simulated day: key ``(replication, stream)``
  (:func:`sim.streams.streams`);
- the horizon's draws (people, day factors) and each outlet-day's model seed: keys
  beginning with the replication (:mod:`sim.horizon`);
- the optimiser's evaluation and verification seed of each outlet: key ``(stage, outlet)``
  (:func:`optimize.stages.derive_seed`);
- a sweep point's seed without common random numbers: :func:`mixed` of the sweep's seed
  and the point.
"""

from __future__ import annotations

import numpy as np


def sequence(seed: int, *key: int) -> np.random.SeedSequence:
    """The seed sequence of ``seed`` for the purpose named by ``key``."""
    return np.random.SeedSequence(seed, spawn_key=key)


def generator(seed: int, *key: int) -> np.random.Generator:
    """A generator for ``seed`` and the purpose named by ``key``."""
    return np.random.default_rng(sequence(seed, *key))


def derived(seed: int, *key: int) -> int:
    """A new seed (0 … 2**32 − 1) for ``seed`` and the purpose named by ``key``."""
    return int(sequence(seed, *key).generate_state(1)[0])


def mixed(seed: int, point: int) -> int:
    """A seed (0 … 2**32 − 1) of its own for item ``point`` of a run seeded ``seed`` (both as entropy)."""
    return int(np.random.SeedSequence([seed, point]).generate_state(1)[0])

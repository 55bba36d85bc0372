import numpy as np
import pytest

import neg


def random_geography(K: int, seed: int, longest: float = 3.0) -> neg.Geography:
    """K random points in the unit square, distances scaled so the longest is ``longest``."""
    rng = np.random.default_rng(seed)
    xy = rng.uniform(size=(K, 2))
    D = np.sqrt(((xy[:, None, :] - xy[None, :, :]) ** 2).sum(-1))
    return neg.Geography.from_distances(D * longest / D.max())


def random_simplex(K: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).dirichlet(np.ones(K))


@pytest.fixture
def cp2():
    return neg.CorePeriphery(5.0, 0.4, phi=0.3)

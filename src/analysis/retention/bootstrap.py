"""Wild cluster score bootstrap for one coefficient of the cloglog hazard model, for when sites are few.

With G sites the clustered standard error rests on G cluster sums; with G around 8 its t(G-1) interval is
still a little short (docs/validation.md). The score bootstrap of Kline & Santos (2012) tests H0: beta = b0
without refitting the model per draw:

1. fit the model with beta fixed at b0 (the null imposed: post_subsidy enters as an offset b0 * x);
2. per pattern j, the score of the linear predictor u_j = (y_j - n_j mu_j) exp(eta_j) / mu_j (cloglog,
   binomial with n_j trials) and the tested column with the nuisance columns partialled out, r_j = x_j -
   Z_j gamma (gamma from the information-weighted regression of x on the other columns Z): the efficient
   score of beta is sum_j u_j r_j, and its cluster sums are s_g;
3. the statistic T = sum_g s_g / sqrt(sum_g s_g^2); each weight vector w gives
   T*(w) = sum_g w_g s_g / sqrt(sum_g w_g^2 s_g^2), and the p-value is the share of |T*| >= |T|.

Weights: with G <= 6 sites, all 6^G vectors of Webb's six-point weights (+-sqrt(1/2), +-1, +-sqrt(3/2));
with 7 <= G <= 12, all 2^G Rademacher sign vectors (exact, no simulation error); with G > 12,
DEFAULT_DRAWS Webb vectors drawn from a generator seeded by the caller (the project's config), never the
clock. Webb weights are used for very few sites because 2^G sign vectors cannot give a p-value below
2 / 2^G (0.125 with 4 sites), so no 95 % interval would ever be finite.

The interval is the set of b0 that the test does not reject at 1 - confidence (test inversion), found by
bisection on each side of the estimate; it is not symmetric and needs no standard error.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
import pandas as pd

WEBB = np.array([-np.sqrt(1.5), -1.0, -np.sqrt(0.5), np.sqrt(0.5), 1.0, np.sqrt(1.5)])
DEFAULT_DRAWS = 9999
ENUMERATE_WEBB_UP_TO = 6  # 6^6 = 46,656 vectors
ENUMERATE_RADEMACHER_UP_TO = 12  # 2^12 = 4,096 vectors
SEARCH_LIMIT = 10.0  # |log HR - estimate| beyond which an end of the interval is reported as unbounded
TOLERANCE = 1e-4  # on the log hazard ratio scale


@dataclass(frozen=True)
class BootstrapResult:
    """The wild cluster bootstrap test of beta = 0 and the interval from inverting it.

    `ci_lower`/`ci_upper` are on the log hazard ratio scale (NaN when unbounded within SEARCH_LIMIT);
    `weights` names the weight scheme and `vectors` how many weight vectors were used.
    """

    p_value: float
    ci_lower: float
    ci_upper: float
    weights: str
    vectors: int
    clusters: int


def weight_vectors(clusters: int, rng: np.random.Generator | None) -> tuple[np.ndarray, str]:
    """The weight vectors (rows) for `clusters` clusters and the name of the scheme (see the module)."""
    if clusters <= ENUMERATE_WEBB_UP_TO:
        return np.array(list(itertools.product(WEBB, repeat=clusters))), "Webb six-point, all vectors"
    if clusters <= ENUMERATE_RADEMACHER_UP_TO:
        return np.array(list(itertools.product((-1.0, 1.0), repeat=clusters))), "Rademacher, all sign vectors"
    if rng is None:
        raise ValueError(f"{clusters} clusters need random weight draws: give a seeded generator")
    return WEBB[rng.integers(0, 6, size=(DEFAULT_DRAWS, clusters))], f"Webb six-point, {DEFAULT_DRAWS} draws"


class ScoreTest:
    """The score test of beta = b0 for column `term` of a binomial cloglog GLM on aggregated patterns."""

    def __init__(
        self,
        events: np.ndarray,
        trials: np.ndarray,
        design: pd.DataFrame,
        term: str,
        groups: np.ndarray,
        weights: np.ndarray,
    ):
        self.events, self.trials = np.asarray(events, float), np.asarray(trials, float)
        self.x = design[term].to_numpy(dtype=float)
        self.z = design.drop(columns=[term]).to_numpy(dtype=float)
        self.groups = pd.factorize(groups)[0]
        self.n_groups = int(self.groups.max() + 1)
        self.weights = weights
        self._start: np.ndarray | None = None

    def cluster_scores(self, b0: float) -> np.ndarray:
        """Cluster sums s_g of the efficient score of beta at the estimate restricted to beta = b0."""
        offset = b0 * self.x
        params = restricted_fit(self.z, offset, self.events, self.trials, self._start)
        if np.all(np.isfinite(params)):
            self._start = params
        with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
            exp_eta = np.exp(np.clip(self.z @ params + offset, -30, 30))
            mu = np.clip(-np.expm1(-exp_eta), 1e-300, 1 - 1e-16)
            u = (self.events - self.trials * mu) * exp_eta / mu
            info = self.trials * exp_eta**2 * (1 - mu) / mu  # n (dmu/deta)^2 / (mu (1 - mu))
        root = np.sqrt(info)
        gamma = np.linalg.lstsq(self.z * root[:, None], self.x * root, rcond=None)[0]
        r = self.x - self.z @ gamma
        return np.bincount(self.groups, u * r, self.n_groups)

    def p_value(self, b0: float) -> float:
        """Share of weight vectors whose |T*| is at least the observed |T| (the observed vector included)."""
        s = self.cluster_scores(b0)
        denominator = np.sqrt(np.sum(s**2))
        if denominator == 0 or not np.isfinite(denominator):
            return float("nan")
        observed = abs(s.sum()) / denominator
        perturbed = np.abs(self.weights @ s) / np.sqrt((self.weights**2) @ s**2)
        # a relative slack so that vectors giving exactly |T| (w and -w) count despite rounding
        return float(np.mean(perturbed >= observed * (1 - 1e-10)))


def restricted_fit(
    z: np.ndarray,
    offset: np.ndarray,
    events: np.ndarray,
    trials: np.ndarray,
    start: np.ndarray | None = None,
    tolerance: float = 1e-10,
    max_iterations: int = 100,
) -> np.ndarray:
    """Maximum-likelihood coefficients of the binomial cloglog GLM events/trials ~ z + offset, by Fisher
    scoring (iteratively reweighted least squares) from `start` or from the empirical cloglog of the rates.

    Written out (instead of statsmodels' GLM) because the bootstrap refits the model some 30 times per
    interval and the recovery study thousands of times; on the same data it gives the same estimates.
    """
    if start is None:
        rate = (events + 0.5) / (trials + 1.0)
        start = np.linalg.lstsq(z, np.log(-np.log1p(-rate)) - offset, rcond=None)[0]
    params, previous = np.asarray(start, dtype=float), np.inf
    with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
        for _ in range(max_iterations):
            linear = z @ params
            eta = np.clip(linear + offset, -30, 30)
            exp_eta = np.exp(eta)
            mu = np.clip(-np.expm1(-exp_eta), 1e-300, 1 - 1e-16)
            slope = exp_eta * (1 - mu)  # dmu/deta
            weight = trials * slope**2 / (mu * (1 - mu))
            working = linear + (events - trials * mu) / np.where(trials * slope > 0, trials * slope, 1.0)
            gram = z.T @ (z * weight[:, None])
            try:
                params = np.linalg.solve(gram, z.T @ (weight * working))
            except np.linalg.LinAlgError:
                params = np.linalg.lstsq(gram, z.T @ (weight * working), rcond=None)[0]
            deviance = -2 * np.sum(events * np.log(mu) + (trials - events) * np.log1p(-mu))
            if abs(previous - deviance) <= tolerance * (abs(deviance) + 0.1):
                break
            previous = deviance
    return params


def wild_cluster_bootstrap(
    events: np.ndarray,
    trials: np.ndarray,
    design: pd.DataFrame,
    term: str,
    groups: np.ndarray,
    estimate: float,
    scale: float,
    confidence: float = 0.95,
    rng: np.random.Generator | None = None,
) -> BootstrapResult:
    """Test term = 0 and invert the test for an interval, starting the search at `estimate` +- `scale`
    (e.g. the clustered standard error); see the module docstring for the method."""
    n_groups = len(pd.unique(groups))
    weights, scheme = weight_vectors(n_groups, rng)
    test = ScoreTest(events, trials, design, term, groups, weights)
    alpha = 1 - confidence
    p_zero = test.p_value(0.0)
    lower = _boundary(test, estimate, -max(scale, 0.01), alpha)
    upper = _boundary(test, estimate, max(scale, 0.01), alpha)
    return BootstrapResult(p_zero, lower, upper, scheme, len(weights), n_groups)


def _boundary(test: ScoreTest, estimate: float, step: float, alpha: float) -> float:
    """The b0 on one side of the estimate where the p-value first falls to alpha or below (bisection
    between the last accepted and the first rejected point of a widening search); NaN if none is found
    within SEARCH_LIMIT."""
    inside, outside = estimate, None
    distance = abs(step)
    while distance <= SEARCH_LIMIT:
        candidate = estimate + np.sign(step) * distance
        if test.p_value(candidate) <= alpha:
            outside = candidate
            break
        inside, distance = candidate, distance * 2
    if outside is None:
        return float("nan")
    while abs(outside - inside) > TOLERANCE:
        middle = (inside + outside) / 2
        if test.p_value(middle) <= alpha:
            outside = middle
        else:
            inside = middle
    return float((inside + outside) / 2)

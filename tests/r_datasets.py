"""Random data sets for the live cross-check against R (tests/test_r_crosscheck.py).

A small generator written for the test alone: it knows nothing of the project's simulator. Every data set is
drawn from `numpy.random.default_rng(seed)`, so a seed always gives the same data. Times are whole numbers on a
short scale, so there are many tied event times, and counting-process rows start at times where other rows have
events (the risk-set convention R and the package must agree on).
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def km_data(rng: np.random.Generator) -> pd.DataFrame:
    """time (whole numbers 1..K, many ties), status 0/1 and a group of 1-3 levels; some groups end at S = 0."""
    n = int(rng.integers(5, 160))
    horizon = int(rng.integers(4, 25))
    groups = rng.choice(["a", "b", "c"][: int(rng.integers(1, 4))], size=n)
    time = rng.integers(1, horizon + 1, size=n)
    status = (rng.random(n) < rng.uniform(0.3, 0.95)).astype(int)
    if rng.random() < 0.3:  # the longest time of one group is an event: its curve reaches 0
        last = np.flatnonzero(groups == groups[0])
        status[last[np.argmax(time[last])]] = 1
        time[last[np.argmax(time[last])]] = horizon + 1
    return pd.DataFrame({"time": time.astype(float), "status": status, "group": groups})


def counting_process_data(rng: np.random.Generator) -> pd.DataFrame:
    """(start, stop] rows of 20-150 subjects: a time-varying 0/1 `z` that switches on at a random whole time, a
    continuous `x`, a 0/1 `b`, the subject `id` and a cluster `cl` of 3-10 groups with their own frailty.

    Each subject's follow-up (0, T] is cut where z switches and at one more random whole time, so many rows
    start exactly where other subjects have events."""
    n = int(rng.integers(20, 150))
    n_clusters = int(rng.integers(3, 11))
    cl = rng.integers(0, n_clusters, size=n)
    frailty = rng.normal(0, 0.4, n_clusters)[cl]
    x = rng.normal(0, 1, n)
    b = (rng.random(n) < 0.4).astype(int)
    switch = rng.integers(1, 15, size=n)
    rows = []
    for i in range(n):
        censor = int(rng.integers(1, 21))
        stop, event = censor, 0
        for t in range(censor):
            hazard = 0.08 * np.exp(0.5 * x[i] - 0.4 * b[i] + 0.7 * (t >= switch[i]) + frailty[i])
            if rng.random() < -np.expm1(-hazard):
                stop, event = t + 1, 1
                break
        cuts = sorted({0, stop, *(c for c in (switch[i], int(rng.integers(1, 20))) if 0 < c < stop)})
        for lo, hi in zip(cuts[:-1], cuts[1:], strict=True):
            rows.append((lo, hi, event if hi == stop else 0, int(lo >= switch[i]), x[i], b[i], i, cl[i]))
    frame = pd.DataFrame(rows, columns=["start", "stop", "event", "z", "x", "b", "id", "cl"])
    frame[["start", "stop"]] = frame[["start", "stop"]].astype(float)
    return frame


def person_month_data(rng: np.random.Generator) -> pd.DataFrame:
    """Person-months of 3-12 sites: site, participant_id, enrolment, month, event, post_subsidy, track (a/b/c),
    lockdown. Each site has its own planned subsidy length (0 = none) and dropout level; some people have an
    individual length; follow-up is cut at a random month up to 30."""
    n_sites = int(rng.integers(3, 13))
    lengths = rng.choice([0, 3, 6, 9, 12], size=n_sites)
    if len(set(lengths)) == 1:
        lengths[0] = 6 if lengths[0] != 6 else 3
    parts = []
    person = 0
    for s in range(n_sites):
        size = int(rng.integers(25, 130))
        level = rng.normal(-2.6, 0.3)
        for _ in range(size):
            planned = lengths[s] if rng.random() > 0.05 else int(rng.choice([0, lengths[s] + 3]))
            track = rng.choice(["a", "b", "c"], p=[0.5, 0.3, 0.2])
            follow = int(rng.integers(1, 31))
            months = np.arange(1, follow + 1)
            post = ((planned > 0) & (months > planned)).astype(int)
            lockdown = (rng.random(follow) < 0.1).astype(int)
            eta = level - 0.3 * np.log(months) + {"a": 0.0, "b": 0.4, "c": 0.2}[track] + 0.5 * post + 0.3 * lockdown
            leaves = rng.random(follow) < -np.expm1(-np.exp(eta))
            last = int(np.argmax(leaves)) + 1 if leaves.any() else follow
            parts.append(
                pd.DataFrame(
                    {
                        "site": f"s{s:02d}",
                        "participant_id": f"p{person:05d}",
                        "enrolment": 1,
                        "month": months[:last],
                        "event": (leaves[:last] & (months[:last] == last)).astype(int),
                        "post_subsidy": post[:last],
                        "track": track,
                        "lockdown": lockdown[:last],
                    }
                )
            )
            person += 1
    return pd.concat(parts, ignore_index=True)

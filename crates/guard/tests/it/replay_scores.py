"""Independent check of the robust z-scores the replay test asserts.

Scores the ten-minute log return of a bar of data/crises/eth_10min against the
returns before it (at most 144), as 0.6745 * (x - median) / MAD, with Python's
statistics module. Python 3.11.7, standard library only.

    python3 crates/guard/tests/it/replay_scores.py
"""

import json
import math
import pathlib
import statistics

ROOT = pathlib.Path(__file__).resolve().parents[4]

for day, bar in [("03-12-2020", 65), ("05-19-2021", 78), ("05-19-2021", 76)]:
    bars = json.loads((ROOT / "data/crises/eth_10min" / f"{day}.json").read_text())
    closes = [b["price_close"] for b in bars]
    returns = [math.log(closes[i] / closes[i - 1]) for i in range(1, len(closes))]
    window = returns[: bar - 1][-144:]
    median = statistics.median(window)
    mad = statistics.median([abs(x - median) for x in window])
    x = returns[bar - 1]
    print(day, bar, repr(x), repr(median), repr(mad), repr(0.6745 * (x - median) / mad))

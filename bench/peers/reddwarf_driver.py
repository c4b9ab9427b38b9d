"""Run red-dwarf (MPL-2.0) on one vote set; executed by bench/opinions.py inside red-dwarf's own venv.

Usage: reddwarf_driver.py INPUT.npz OUTPUT.json. INPUT holds arrays `participant`, `statement`,
`vote` and `moderated_out`, plus scalars `seed`, `max_groups` and `repeats`. Only `run_pipeline` is
timed; the best of `repeats` runs is reported (the least disturbed by other load on the machine).
"""

import json
import sys
import time
import warnings

import numpy as np

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from reddwarf.implementations.polis import run_pipeline


def peak_memory_mb() -> float:
    """This process's own high-water RSS (VmHWM); a parent's rusage would include its own RSS."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def main() -> None:
    source, target = sys.argv[1], sys.argv[2]
    data = np.load(source)
    # Columns rather than a list of dicts: pandas builds the same frame with far less memory.
    votes = {
        "participant_id": data["participant"],
        "statement_id": data["statement"],
        "vote": data["vote"].astype(np.float64),
    }
    timings = []
    for _ in range(int(data["repeats"])):
        started = time.perf_counter()
        result = run_pipeline(
            votes=votes,
            mod_out_statement_ids=[int(s) for s in data["moderated_out"]],
            min_user_vote_threshold=7,
            max_group_count=int(data["max_groups"]),
            random_state=int(data["seed"]),
        )
        timings.append(time.perf_counter() - started)
    frame = result.participants_df
    groups = [int(cluster) for cluster in frame["cluster_id"].fillna(-1)]
    with open(target, "w") as handle:
        json.dump(
            {
                "seconds": min(timings),
                "peak_mb": peak_memory_mb(),
                "participants": [int(p) for p in frame.index],
                "groups": groups,
                "n_groups": len({g for g in groups if g >= 0}),
            },
            handle,
        )


if __name__ == "__main__":
    main()

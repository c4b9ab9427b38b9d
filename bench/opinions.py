"""Benchmark CivicForum's opinion engine against red-dwarf (Pol.is maths in Python) and write RESULTS.md.

    .venv/bin/python bench/opinions.py [--quick] [--skip-largest]

Every measurement runs in its own subprocess, so peak memory (the worker's VmHWM) belongs to that
run alone; timings are the best of `repeats` runs (7 below 1 million votes, 3 below 15 million,
else 1). red-dwarf (MPL-2.0) lives in its own virtualenv under bench/.peers/reddwarf, created here
if missing, and is driven by bench/peers/reddwarf_driver.py; it is never imported by CivicForum.
Both run single-threaded (OMP/BLAS threads = 1): on a shared 2-core machine spinning worker
threads only slow both down. Timed: for CivicForum, building the sparse matrix from vote rows plus
`compute_map`; for red-dwarf, `run_pipeline` (which pivots the same rows).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from scipy.optimize import linear_sum_assignment  # noqa: E402
from sklearn.metrics import adjusted_rand_score  # noqa: E402

from civicforum.opinions import MapSettings, VoteMatrix, compute_map, read_comments, read_votes  # noqa: E402
from civicforum.opinions.synthetic import RANDOM_VOTER, planted_conversation  # noqa: E402

POLIS = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "polis"
REAL_SETS = ["brexit-consensus", "vtaiwan.uberx", "american-assembly.bowling-green"]
SCALE_SERIES = [
    (1000, 100),
    (2000, 200),
    (5000, 1000),
    (10000, 1000),
    (20000, 2000),
    (50000, 2000),
    (100000, 10000),
]
REDDWARF_LIMIT = 50000 * 2000  # cells; beyond this red-dwarf's dense matrices exceed this machine's budget
PEER_VENV = ROOT / "bench" / ".peers" / "reddwarf"
PEER_DRIVER = ROOT / "bench" / "peers" / "reddwarf_driver.py"
RESULTS = ROOT / "bench" / "RESULTS.md"
SINGLE_THREAD = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
SEED = 0
MAX_GROUPS = 5


def ensure_reddwarf() -> Path:
    python = PEER_VENV / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(PEER_VENV)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", "red-dwarf==0.4.0"], check=True)
    return python


def run_measured(command: list[str]) -> tuple[dict[str, Any], float]:
    """Run a worker; return its JSON answer and its own peak RSS in MB (reported by the worker)."""
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as handle:
        answer = Path(handle.name)
    subprocess.run([*command, str(answer)], env={**os.environ, **SINGLE_THREAD}, check=True)
    result = json.loads(answer.read_text())
    answer.unlink()
    return result, float(result["peak_mb"])


def peak_memory_mb() -> float:
    """This process's high-water RSS (VmHWM). `getrusage` of a child would also count the RSS of the
    forking parent (Linux copies the high-water mark at fork), so each worker reports its own."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


# ---------------------------------------------------------------- workers (run in subprocesses)


def civicforum_worker(spec_path: str, answer_path: str) -> None:
    spec = json.loads(Path(spec_path).read_text())
    settings = MapSettings(seed=SEED, max_groups=MAX_GROUPS)
    planted_ari = None
    if "synthetic" in spec:  # too big to pass as rows: generated here, only compute_map is timed
        n, s = spec["synthetic"]
        conversation = planted_conversation(n, s, 4, seed=SEED, random_voters=max(5, n // 500))
        votes, build = conversation.votes, 0.0
        started = time.perf_counter()
        result = compute_map(votes, settings=settings)
        seconds = time.perf_counter() - started
        genuine = (conversation.planted != RANDOM_VOTER) & (result.groups >= 0)
        planted_ari = float(adjusted_rand_score(conversation.planted[genuine], result.groups[genuine]))
    else:
        data = np.load(spec["npz"])
        builds, maps = [], []
        for _ in range(int(data["repeats"])):
            started = time.perf_counter()
            votes = VoteMatrix.from_rows(data["participant"], data["statement"], data["vote"])
            votes = votes.without_statements(data["moderated_out"].tolist())
            builds.append(time.perf_counter() - started)
            started = time.perf_counter()
            result = compute_map(votes, settings=settings)
            maps.append(time.perf_counter() - started)
        build, seconds = min(builds), min(maps)
    answer = {
        "peak_mb": peak_memory_mb(),
        "seconds": build + seconds,
        "build_seconds": build,
        "map_seconds": seconds,
        "pca_iterations": result.pca_iterations,
        "participants": result.participant_ids.tolist(),
        "groups": result.groups.tolist(),
        "n_groups": int(result.group_labels.size),
        "n_votes": votes.n_votes,
        "planted_ari": planted_ari,
    }
    Path(answer_path).write_text(json.dumps(answer))


def incremental_worker(spec_path: str, answer_path: str) -> None:
    """5,000 x 1,000: a full map, then five refreshes each after 1% more votes."""
    settings = MapSettings(seed=SEED, max_groups=MAX_GROUPS)
    votes = planted_conversation(5000, 1000, 4, seed=SEED, random_voters=10).votes
    started = time.perf_counter()
    current = compute_map(votes, settings=settings)
    full = time.perf_counter() - started
    rng = np.random.default_rng(SEED)
    updates, builds, kept = [], [], []
    for _ in range(5):
        n_new = votes.n_votes // 100
        started = time.perf_counter()
        votes = votes.with_votes(
            rng.integers(0, 5000, n_new), rng.integers(0, 1000, n_new), rng.choice([-1, 0, 1], n_new)
        )
        builds.append(time.perf_counter() - started)
        started = time.perf_counter()
        refreshed = compute_map(votes, settings=settings, previous=current.state)
        updates.append(time.perf_counter() - started)
        kept.append(float(np.mean(refreshed.groups == current.groups)))
        current = refreshed
    Path(answer_path).write_text(
        json.dumps(
            {
                "full": full,
                "updates": updates,
                "builds": builds,
                "label_kept": kept,
                "votes": votes.n_votes,
                "peak_mb": peak_memory_mb(),
            }
        )
    )


# ---------------------------------------------------------------- driver


def agreement(a: dict[str, Any], b: dict[str, Any]) -> float | None:
    """ARI over participants that both clusterings put in a group."""
    groups_b = dict(zip(b["participants"], b["groups"], strict=True))
    pairs = [
        (g, groups_b[p])
        for p, g in zip(a["participants"], a["groups"], strict=True)
        if g >= 0 and groups_b.get(p, -1) >= 0
    ]
    if not pairs:
        return None
    return float(adjusted_rand_score([x for x, _ in pairs], [y for _, y in pairs]))


def polis_diagnostics(name: str, reference: dict[str, Any]) -> list[str]:
    """Where our groups and Pol.is's differ: share placed alike (groups matched by Hungarian
    assignment), votes cast by those placed alike / differently, and how close to a group boundary
    the differently placed are (margin = (d2 - d1) / d2 for the distances to the nearest two centroids)."""
    votes = read_votes(POLIS / name / "votes.csv")
    moderated = [s.statement_id for s in read_comments(POLIS / name / "comments.csv") if s.moderated_out]
    votes = votes.without_statements(moderated)
    result = compute_map(votes, settings=MapSettings(seed=SEED, max_groups=MAX_GROUPS))
    polis = dict(zip(reference["participants"], reference["groups"], strict=True))
    rows = [
        i for i, p in enumerate(result.participant_ids.tolist()) if result.groups[i] >= 0 and polis[p] >= 0
    ]
    ours = result.groups[rows]
    theirs = np.array([polis[int(result.participant_ids[i])] for i in rows])
    overlap = np.zeros((ours.max() + 1, theirs.max() + 1))
    np.add.at(overlap, (ours, theirs), 1)
    matched_rows, matched_cols = linear_sum_assignment(-overlap)
    partner = dict(zip(matched_rows.tolist(), matched_cols.tolist(), strict=True))
    alike = np.array([partner.get(int(o), -1) == t for o, t in zip(ours, theirs, strict=True)])
    points = result.coordinates[rows]
    centroids = np.array([points[ours == g].mean(axis=0) for g in range(ours.max() + 1)])
    nearest = np.sort(np.linalg.norm(points[:, None, :] - centroids[None], axis=2), axis=1)
    margin = (nearest[:, 1] - nearest[:, 0]) / nearest[:, 1]
    n_votes = votes.votes_per_participant()[rows]
    only_polis = sum(
        1 for i, p in enumerate(result.participant_ids.tolist()) if result.groups[i] < 0 and polis[p] >= 0
    )
    differ = ~alike
    return [
        name,
        f"{alike.mean():.1%} of {len(rows):,}",
        f"{np.median(n_votes[alike]):.0f} / {np.median(n_votes[differ]):.0f}" if differ.any() else "-",
        f"{np.median(margin[alike]):.2f} / {np.median(margin[differ]):.2f}" if differ.any() else "-",
        f"{np.mean(margin[differ] < np.quantile(margin, 0.25)):.0%}" if differ.any() else "-",
        str(only_polis),
    ]


def polis_groups(name: str) -> dict[str, Any]:
    with (POLIS / name / "participants-votes.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    return {
        "participants": [int(r["participant"]) for r in rows],
        "groups": [int(r["group-id"]) if r["group-id"] else -1 for r in rows],
    }


def save_rows(votes: VoteMatrix, moderated_out: list[int], path: Path) -> None:
    participants, statements, values = votes.rows()
    np.savez(
        path,
        participant=participants.astype(np.int32),
        statement=statements.astype(np.int32),
        vote=values,
        moderated_out=np.array(moderated_out, dtype=np.int64),
        seed=SEED,
        max_groups=MAX_GROUPS,
        repeats=7 if participants.size < 1_000_000 else 3 if participants.size < 15_000_000 else 1,
    )


def compare(
    label: str, npz: Path | None, synthetic: tuple[int, int] | None, peer: Path | None
) -> dict[str, Any]:
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
        json.dump({"npz": str(npz)} if npz else {"synthetic": synthetic}, handle)
        spec = handle.name
    ours, our_mb = run_measured([sys.executable, __file__, "--worker", "civicforum", spec])
    row: dict[str, Any] = {"set": label, "ours": ours, "our_mb": our_mb}
    if peer is not None and npz is not None:
        theirs, their_mb = run_measured([str(peer), str(PEER_DRIVER), str(npz)])
        row.update(theirs=theirs, their_mb=their_mb, ari=agreement(ours, theirs))
    Path(spec).unlink()
    print(f"{label}: {json.dumps({k: v for k, v in row.items() if k not in ('ours', 'theirs')})}", flush=True)
    return row


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--worker", nargs=3, metavar=("KIND", "SPEC", "ANSWER"))
    parser.add_argument("--quick", action="store_true", help="real sets and sizes up to 5,000 x 1,000 only")
    parser.add_argument("--skip-largest", action="store_true", help="leave out 100,000 x 10,000")
    args = parser.parse_args()
    if args.worker:
        kind, spec, answer = args.worker
        {"civicforum": civicforum_worker, "incremental": incremental_worker}[kind](spec, answer)
        return
    peer = ensure_reddwarf()
    scratch = ROOT / "bench" / "out" / "opinions"
    scratch.mkdir(parents=True, exist_ok=True)
    real_rows = []
    for name in REAL_SETS:
        votes = read_votes(POLIS / name / "votes.csv")
        moderated = [s.statement_id for s in read_comments(POLIS / name / "comments.csv") if s.moderated_out]
        save_rows(votes, moderated, scratch / f"{name}.npz")
        row = compare(name, scratch / f"{name}.npz", None, peer)
        row["size"] = f"{votes.n_participants:,} x {votes.n_statements - len(moderated):,}"
        reference = polis_groups(name)
        row["polis_ours"] = agreement(row["ours"], reference)
        row["polis_theirs"] = agreement(row["theirs"], reference)
        row["polis_groups"] = len({g for g in reference["groups"] if g >= 0})
        row["diagnostics"] = polis_diagnostics(name, reference)
        real_rows.append(row)
    scale_rows = []
    for n, s in SCALE_SERIES:
        if (args.quick and n * s > 5000 * 1000) or (args.skip_largest and n == 100000):
            continue
        label = f"{n:,} x {s:,}"
        if n * s <= REDDWARF_LIMIT:
            conversation = planted_conversation(n, s, 4, seed=SEED, random_voters=max(5, n // 500))
            path = scratch / f"synthetic-{n}x{s}.npz"
            save_rows(conversation.votes, [], path)
            row = compare(label, path, None, peer)
            planted = dict(
                zip(conversation.votes.participant_ids.tolist(), conversation.planted.tolist(), strict=True)
            )
            truth = {
                "participants": list(planted),
                "groups": [g if g != RANDOM_VOTER else -1 for g in planted.values()],
            }
            row["planted_ours"] = agreement(row["ours"], truth)
            row["planted_theirs"] = agreement(row["theirs"], truth)
            row["votes"] = conversation.votes.n_votes
            path.unlink()
        else:
            row = compare(label, None, (n, s), None)
            row["votes"] = row["ours"]["n_votes"]
            row["planted_ours"] = row["ours"]["planted_ari"]
        scale_rows.append(row)
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
        handle.write("{}")
    incremental, incremental_mb = run_measured(
        [sys.executable, __file__, "--worker", "incremental", handle.name]
    )
    Path(handle.name).unlink()
    print(f"incremental: {incremental}", flush=True)
    command = (
        "python bench/opinions.py"
        + (" --quick" if args.quick else "")
        + (" --skip-largest" if args.skip_largest else "")
    )
    write_results(command, real_rows, scale_rows, incremental)


NOTES = """### Reading these results

- **Method differences that explain disagreements.** CivicForum clusters in the first `max_groups`
  (5) principal coordinates; red-dwarf and Pol.is cluster the 2-D map. Pol.is also runs k-means
  on 100 "base clusters" rather than on people, holds a new group count back until it has been
  chosen three times in a row, and its export reflects whatever state the live conversation had
  then. red-dwarf clusters people directly in 2-D. On the real conversations all three find two
  groups (red-dwarf three on brexit-consensus); CivicForum agrees with Pol.is more closely than
  red-dwarf does on two of the three conversations.
- **Who is placed differently.** The table above shows the people CivicForum and Pol.is place in
  different groups are mostly near the boundary between groups (small margin) and cast fewer votes:
  people whose votes fit either group about equally well, where any two clusterings differ. The
  people Pol.is grouped with fewer than 7 votes are its known exceptions (the data README lists them).
- **Synthetic sets.** ARI against the planted groups is computed over the planted members (random
  voters excluded). Below ~20 votes per person (e.g. 1,000 x 100) the planted groups are not fully
  recoverable by anyone: a person's handful of votes can fit two groups. The test suite checks ARI
  >= 0.99 at 300 statements (30-180 votes each), for 3 to 6 groups.
- **Speed.** CivicForum never builds a dense matrix: Pol.is's mean imputation followed by centring
  by the same mean makes every unseen cell exactly 0, so PCA runs on the sparse votes by block
  subspace iteration (warm-started from a seeded 3,000-row sample on large sets, from the previous
  axes on refresh); k is chosen on a 1,000-point sample with one shared distance matrix; counts are
  one bincount. red-dwarf pivots to a dense pandas frame, imputes and runs full PCA, which is why its
  time and memory grow with participants x statements rather than with votes. red-dwarf was skipped
  at 100,000 x 10,000: its dense float frame alone would need 8 GB, several copies are made, and at
  50,000 x 2,000 it already needs the memory and time shown.
"""


def fmt(value: Any, digits: int = 2) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


def speed_up(row: dict[str, Any]) -> str:
    return f"{row['theirs']['seconds'] / row['ours']['seconds']:.1f}x" if "theirs" in row else "n/a"


def table(header: list[str], rows: list[list[str]]) -> list[str]:
    return [
        "| " + " | ".join(header) + " |",
        "|" + "---|" * len(header),
        *("| " + " | ".join(cells) + " |" for cells in rows),
    ]


def real_table(rows: list[dict[str, Any]]) -> list[str]:
    header = [
        "set", "participants x statements", "CivicForum s", "red-dwarf s", "speed-up", "CivicForum MB",
        "red-dwarf MB", "groups (ours / red-dwarf / Pol.is)", "ARI ours vs red-dwarf",
        "ARI vs Pol.is (ours / red-dwarf)",
    ]  # fmt: skip
    cells = [
        [
            row["set"],
            row["size"],
            fmt(row["ours"]["seconds"]),
            fmt(row["theirs"]["seconds"]),
            speed_up(row),
            fmt(row["our_mb"], 0),
            fmt(row["their_mb"], 0),
            f"{row['ours']['n_groups']} / {row['theirs']['n_groups']} / {row['polis_groups']}",
            fmt(row["ari"]),
            f"{fmt(row['polis_ours'])} / {fmt(row['polis_theirs'])}",
        ]  # fmt: skip
        for row in rows
    ]
    return table(header, cells)


def scale_table(rows: list[dict[str, Any]]) -> list[str]:
    header = [
        "participants x statements", "votes", "CivicForum s (build + map)", "red-dwarf s", "speed-up",
        "CivicForum MB", "red-dwarf MB", "groups (ours / red-dwarf)", "ARI ours vs red-dwarf",
        "ARI vs planted (ours / red-dwarf)",
    ]  # fmt: skip
    cells = []
    for row in rows:
        ours, theirs = row["ours"], row.get("theirs")
        cells.append(
            [
                row["set"],
                f"{row['votes']:,}",
                f"{fmt(ours['seconds'])} ({fmt(ours['build_seconds'])} + {fmt(ours['map_seconds'])})",
                fmt(theirs["seconds"]) if theirs else "skipped",
                speed_up(row),
                fmt(row["our_mb"], 0),
                fmt(row["their_mb"], 0) if theirs else "skipped",
                f"{ours['n_groups']} / {theirs['n_groups'] if theirs else '-'}",
                fmt(row.get("ari")),
                f"{fmt(row.get('planted_ours'), 3)} / {fmt(row.get('planted_theirs'), 3)}",
            ]  # fmt: skip
        )
    return table(header, cells)


def write_results(
    command: str,
    real_rows: list[dict[str, Any]],
    scale_rows: list[dict[str, Any]],
    incremental: dict[str, Any],
) -> None:
    updates, builds, kept = incremental["updates"], incremental["builds"], incremental["label_kept"]
    lines = [
        f"Command: `{command}`",
        "",
        f"Run {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} with red-dwarf 0.4.0 in "
        "`bench/.peers/reddwarf`. "
        "Both single-threaded, each set in its own process; times are the best of 7 runs below 1 million "
        "votes, of 3 below 15 million, else of 1 (the machine is shared, so single runs are noisy), and "
        "exclude interpreter start-up and imports; memory is the process's peak RSS (VmHWM) including them.",
        "",
        "### Real Pol.is conversations (moderated-out statements excluded)",
        "",
        *real_table(real_rows),
        "",
        "Where CivicForum and Pol.is differ (participants both grouped):",
        "",
        *table(
            [
                "set",
                "same group as Pol.is",
                "median votes (same / different)",
                "median boundary margin (same / different)",
                "different ones in the lowest-margin quarter",
                "grouped by Pol.is only (< 7 votes)",
            ],
            [row["diagnostics"] for row in real_rows],
        ),  # fmt: skip
        "",
        "### Synthetic scale series",
        "",
        "4 planted groups of unequal sizes, each person sees 10-60% of statements, 10% passes, 0.2% random "
        "voters (`civicforum.opinions.synthetic`).",
        "",
        *scale_table(scale_rows),
        "",
        "### Incremental refresh (5,000 x 1,000, then 5 batches of 1% new votes)",
        "",
        f"Full map {fmt(incremental['full'])} s. Refresh with `previous=`: median "
        f"{statistics.median(updates):.3f} s, "
        f"max {max(updates):.3f} s. Adding the votes to the matrix (`with_votes`): median "
        f"{statistics.median(builds):.3f} s. Participants keeping their group label per refresh: "
        f"{min(kept):.2%}-{max(kept):.2%}. Peak memory {incremental['peak_mb']:.0f} MB.",
    ]
    text = RESULTS.read_text()
    begin, end = "<!-- opinions:begin -->", "<!-- opinions:end -->"
    head, rest = text.split(begin, 1)
    _, tail = rest.split(end, 1)
    RESULTS.write_text(head + begin + "\n" + "\n".join(lines) + "\n\n" + NOTES + end + tail)


if __name__ == "__main__":
    main()

"""Benchmark the table allocator against the lower bound, random seating and HERMES's figures.

Runs the three panels of ``shared/data/tables`` and a seeded generator of unseen panels (30-200
members, 4-20 tables, 3-10 sessions, 3-6 correlated features with rare values), scores every seating
with the package's own functions, and rewrites the ``tables`` section of ``bench/RESULTS.md``.

    .venv/bin/python bench/tables.py [--quick] [--unseen N] [--no-write] [--only PANELS] [--seeds N]
"""

from __future__ import annotations

import argparse
import csv
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np

from civicforum.tables import (
    DIVERSITY_SLACK,
    AllocationSettings,
    Member,
    allocate,
    diversity,
    meetings,
    repeat_pairs,
    seating_lower_bound,
)

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "tables"
RESULTS = Path(__file__).resolve().parent / "RESULTS.md"
# What the figures mean and what was measured beside them: written by hand, copied into RESULTS.md.
NOTES = Path(__file__).resolve().parent / "tables_notes.md"
# README reference figures: HERMES time, D, M, repeats; random D, M, repeats.
# The --diversity-slack table: generated panels where few tables meet many sessions (they miss the
# mixing targets at the default slack) beside the reference panels.
TRADEOFF_SLACKS = (DIVERSITY_SLACK, 0.10, 0.20, 0.50)
TRADEOFF_UNSEEN = (23, 37, 94)
REFERENCE = {
    "sp_40": (0.06, 0.240, 0.620, 173, 0.407, 0.620, 169),
    "sp_80": (1.6, 0.229, 0.792, 271, 0.440, 0.769, 285),
    "sp_150": (3.9, 0.187, 0.835, 625, 0.414, 0.808, 704),
}


def load_panel(name: str) -> tuple[list[Member], dict]:
    folder = DATA / name
    meta = json.loads((folder / "meta.json").read_text())
    with (folder / "panel.csv").open(newline="") as handle:
        members = [Member(row.pop("id"), row) for row in csv.DictReader(handle)]
    return members, meta


def generate_panel(seed: int, shape: tuple[int, int, int] | None = None) -> tuple[list[Member], dict]:
    """A census-like panel: features drift with a hidden ward so they interact, and most features
    get a value held by only one or two members. ``shape`` (members, tables, sessions) overrides the
    random sizes."""
    rng = np.random.default_rng(seed)
    size = int(rng.integers(30, 201))
    seats = int(rng.integers(5, 11))
    tables = int(np.clip(round(size / seats), 4, 20))
    sessions = int(rng.integers(3, 11))
    if shape:
        size, tables, sessions = shape
    features = int(rng.integers(3, 7))
    wards = rng.integers(0, 4, size=size)
    columns: dict[str, list[str]] = {}
    for f in range(features):
        values = int(rng.integers(2, 7))
        base = rng.dirichlet(np.full(values, 2.0))
        drift = rng.dirichlet(np.full(values, 1.0), size=4)
        column = [int(rng.choice(values, p=0.6 * base + 0.4 * drift[w])) for w in wards]
        if values > 2 and rng.random() < 0.8:  # a rare value held by one or two members
            for person in rng.choice(size, size=int(rng.integers(1, 3)), replace=False):
                column[person] = values
        columns[f"f{f}"] = [f"v{v}" for v in column]
    members = [Member(f"p{i:03d}", {name: col[i] for name, col in columns.items()}) for i in range(size)]
    meta = {"name": f"gen_{seed}", "tables": tables, "sessions": sessions, "diversify": list(columns)}
    return members, meta


def random_seating(members: list[Member], tables: int, sessions: int, seed: int) -> list[list[list[str]]]:
    """An independent shuffle each session into tables whose sizes differ by at most one."""
    rng = np.random.default_rng(seed)
    seating = []
    for _ in range(sessions):
        order = [members[i].id for i in rng.permutation(len(members))]
        seating.append([order[t::tables] for t in range(tables)])
    return seating


def run(members: list[Member], meta: dict, seed: int, slack: float = DIVERSITY_SLACK) -> dict:
    by_id = {m.id: m for m in members}
    features = meta["diversify"]
    settings = AllocationSettings(
        tables=meta["tables"], sessions=meta["sessions"], diversify=features, seed=seed, diversity_slack=slack
    )
    started, cpu_started = time.perf_counter(), time.process_time()
    seating = allocate(members, settings).seating
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    rand = random_seating(members, meta["tables"], meta["sessions"], seed)
    return {
        "time": elapsed,
        "cpu": cpu,
        "D": diversity(by_id, seating, features),
        "LB": seating_lower_bound(by_id, seating, features),
        "M": meetings(seating),
        "rep": repeat_pairs(seating),
        "rD": diversity(by_id, rand, features),
        "rM": meetings(rand),
        "rrep": repeat_pairs(rand),
    }


def median_run(members: list[Member], meta: dict, seeds: range) -> dict:
    runs = [run(members, meta, seed) for seed in seeds]
    return {key: statistics.median(r[key] for r in runs) for key in runs[0]}


TRADEOFF_NOTE = (
    "`--diversity-slack` (`AllocationSettings.diversity_slack`, 4% by default) lets an officer give up "
    "some balance for new faces; the default keeps D within the 5% target. A larger slack buys back much "
    "of the mixing that diversity costs (seed 0): on sp_40 at 45% above the bound, HERMES's own gap "
    "there, the plan has M 0.804 and 69 repeat pairs against HERMES's 0.620 and 173; on sp_80 and "
    "sp_150 at 19-20% (HERMES's gaps are 26% and 21%), 84 and 160 repeat pairs against its 271 and 625. "
    "Where the bound itself is out of reach (unseen 94, whose best session is 7.15% above it), a slack "
    "below what the plan needs anyway changes nothing. Few tables for many sessions stay hard: unseen "
    "23 (4 tables, 6 sessions) gains only from 20% up."
)


def tradeoff_lines() -> list[str]:
    """What ``--diversity-slack`` buys: diversity's gap above its bound, M and repeat pairs at each slack
    (seed 0), on the reference panels and on generated ones where few tables meet many sessions, beside
    HERMES's and random seating's figures."""
    panels = [(name, *load_panel(name)) for name in REFERENCE]
    panels += [(f"unseen {seed}", *generate_panel(seed)) for seed in TRADEOFF_UNSEEN]
    header = " | ".join(f"slack {slack:.0%}" for slack in TRADEOFF_SLACKS)
    lines = [
        "Gap / M / repeat pairs at each `--diversity-slack` (seed 0), against HERMES (the README's "
        "figures) and random seating:",
        "",
        f"| panel | P / T / S | {header} | HERMES | random seating |",
        "|---|---|" + "---|" * len(TRADEOFF_SLACKS) + "---|---|",
    ]
    for name, members, meta in panels:
        cells = []
        for slack in TRADEOFF_SLACKS:
            r = run(members, meta, 0, slack)
            cells.append(f"{r['D'] / r['LB'] - 1:.1%} / {r['M']:.3f} / {r['rep']}")
        reference = REFERENCE.get(name)
        hermes = (
            f"{reference[1] / r['LB'] - 1:.0%} / {reference[2]:.3f} / {reference[3]}" if reference else "-"
        )
        random_cell = f"{r['rD'] / r['LB'] - 1:.0%} / {r['rM']:.3f} / {r['rrep']}"
        shape = f"{len(members)} / {meta['tables']} / {meta['sessions']}"
        lines.append(f"| {name} | {shape} | {' | '.join(cells)} | {hermes} | {random_cell} |")
        print(lines[-1], flush=True)
    return lines


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one seed, 4 unseen panels")
    parser.add_argument("--unseen", type=int, default=None, help="number of generated panels (default 12)")
    parser.add_argument(
        "--unseen-from", type=int, default=0, help="seed of the first generated panel (default 0)"
    )
    parser.add_argument("--no-write", action="store_true", help="print only; leave RESULTS.md alone")
    parser.add_argument(
        "--only",
        default=None,
        help="comma-separated panels to run, e.g. sp_40,unseen_5,large, or tradeoff for the "
        "--diversity-slack table alone (implies --no-write)",
    )
    parser.add_argument("--seeds", type=int, default=None, help="seeds 0..N-1 (default 3, or 1 with --quick)")
    args = parser.parse_args(argv)
    seeds = range(args.seeds if args.seeds is not None else 1 if args.quick else 3)
    only = set(args.only.split(",")) if args.only else None
    unseen = args.unseen if args.unseen is not None else (4 if args.quick else 12)
    command = "python bench/tables.py" + "".join(f" {a}" for a in argv if a != "--no-write")
    lines = [
        f"Command: `{command}` (medians over seeds {seeds.start}-{seeds.stop - 1}; "
        "times are wall-clock on the shared 2-core machine, so noisy).",
        "",
        "Gap = D / lower bound - 1 (target <= 5%). Meeting target: M >= random M + 0.1 (capped at 1, "
        "where random seating already scores above 0.9). Repeat target: "
        "at most half HERMES's repeats (for unseen panels HERMES was not run; its mixing matches random "
        "seating on the three reference panels, so half of random's repeats stands in).",
        "",
        "| panel | P | T | S | wall (CPU) time | D | bound | gap | M | repeats | random D | random M "
        "| random repeats | HERMES D / M / repeats / time | targets met |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    failures = 0
    cpus: list[float] = []
    panels = [(name, *load_panel(name)) for name in REFERENCE]
    first = args.unseen_from
    panels += [(f"unseen {seed}", *generate_panel(seed)) for seed in range(first, first + unseen)]
    panels.append(("large 200x20x8", *generate_panel(1000, (200, 20, 8))))
    if only == {"tradeoff"}:
        tradeoff_lines()
        return 0
    if only is not None:  # names as in the table with "_" for spaces; "large" for the timing case
        panels = [p for p in panels if p[0].replace(" ", "_") in only or p[0].split()[0] in only]
        if not panels:
            parser.error(f"no panel matches --only {args.only}")
    for name, members, meta in panels:
        r = median_run(members, meta, seeds)
        cpus.append(r["cpu"])
        reference = REFERENCE.get(meta.get("name", ""))
        random_m = reference[5] if reference else r["rM"]
        repeat_cap = reference[3] / 2 if reference else r["rrep"] / 2
        gap = r["D"] / r["LB"] - 1 if r["LB"] else 0.0
        checks = {
            "D": gap <= 0.05,
            "M": r["M"] >= min(random_m + 0.1, 1.0) - 1e-9,
            "repeats": r["rep"] <= repeat_cap,
        }
        if "200x20x8" in name:  # CPU seconds: the shared machine's wall clock depends on the others' load
            checks["time<5s"] = r["cpu"] < 5
        missed = [k for k, ok in checks.items() if not ok]
        failures += bool(missed)
        hermes = (
            f"{reference[1]:.3f} / {reference[2]:.3f} / {reference[3]} / {reference[0]} s"
            if reference
            else "-"
        )
        lines.append(
            f"| {name} | {len(members)} | {meta['tables']} | {meta['sessions']} | {r['time']:.2f} s "
            f"({r['cpu']:.2f} s) | {r['D']:.4f} "
            f"| {r['LB']:.4f} | {gap:.1%} | {r['M']:.3f} | {r['rep']:.0f} | {r['rD']:.3f} | {r['rM']:.3f} "
            f"| {r['rrep']:.0f} | {hermes} | {'all' if not missed else 'missed: ' + ', '.join(missed)} |"
        )
        print(lines[-1], flush=True)
    cpu_range = f"{min(cpus):.1f}-{max(cpus):.1f}"
    lines += [
        "",
        f"{len(panels) - failures} of {len(panels)} panels meet every target. The time target is judged on "
        "CPU seconds (one core is used), since the shared machine's wall clock mostly measures other jobs. "
        f"Every panel here took {cpu_range} CPU s.",
        "",
        NOTES.read_text().rstrip(),
    ]
    if only is None:
        lines += [
            "",
            "### Trading balance for mixing: `--diversity-slack`",
            "",
            *tradeoff_lines(),
            "",
            TRADEOFF_NOTE,
        ]
    if not args.no_write and only is None:
        text = RESULTS.read_text()
        begin, end = "<!-- tables:begin -->", "<!-- tables:end -->"
        head, rest = text.split(begin, 1)
        _, tail = rest.split(end, 1)
        RESULTS.write_text(head + begin + "\n" + "\n".join(lines) + "\n" + end + tail)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

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
        "The annealing's effort is a work budget per plan, counted rather than timed, a last descent "
        "adds 5-25% and the tabu search about 0.5 s (also counted): every panel here took "
        f"{cpu_range} CPU s. Machines differ more than that: the "
        "machine of an earlier round took 8.2 CPU s on 200x20x8 with the last descent (3.8 s on a machine "
        "like this run's; it was 2.4-3 times slower than the one before it on numpy calls and Python loops "
        "alike), so the 5 s target holds on this kind of machine, not on every one. HERMES "
        "(groupselect) is not on PyPI, so it was not timed here; its figures are the README's.",
        "",
        "This round added one step to the engine: after the last descent, a tabu search over the whole "
        "plan (`tabu.py`, after the tabu searches for the social golfer problem). Each step makes the best "
        "swap in any session of a member who sits with someone they met elsewhere, even a worsening one; "
        "a member may not go back to the table they left for 5-15 steps; diversity stays within the "
        "plan's 4% budget, computed exactly; after 300 steps without a better plan it restarts from the "
        "best one with a few random swaps; it spends 5e5 work units (about 0.5 CPU s) and keeps the best "
        "plan. On the 40-panel run (seed 0), against the plans without it: repeats fall on 38 of the 44 "
        "rows and rise on 1 (by one), M rises on 28 and falls on 3 (by at most 0.005), every gap stays "
        "at most 4.0% except unseen 8's: sp_40 129 -> 118 repeats and M 0.700 -> 0.729, which meets the "
        "M target; unseen 10 31 -> 16, unseen 24 71 -> 51, unseen 0 79 -> 66, unseen 22 57 -> 47, "
        "unseen 20, 25 and 33 to none; 200x20x8 159 -> 156. Rows meeting every target stay at 24: "
        "unseen 14's M falls from 0.657 to 0.6521, under its target of 0.6524. It costs 0.3-0.8 CPU s "
        "(200x20x8: 3.6 -> 4.0 s); twice the work took 200x20x8 to 5.0 s for the same repeats. With the "
        "first, slower version of the search (1e6 units, about 1 s): a limit of 4.9% instead of the 4% "
        "budget removed a few more (sp_40 122 on that seed, unseen 11 141, unseen 10 21, 200x20x8 140) "
        "but moved every gap to 4.5-4.9%, so it was not kept; a prototype with that 4.9% limit and 5-20 "
        "CPU s took sp_40 to 103-108 repeats (seeds 0-2), still far from 86.",
        "",
        "It also asked exact solvers and longer searches whether the misses are failures of the search "
        "(seeds 0-2 unless said; the figures are from before the tabu step):",
        "",
        "- Seating sessions one at a time exactly does worse. Each session a HiGHS MILP (150 s) minimising "
        "the engine's own pair costs with D held at the bound, or within 5% of it: sp_40 ends at 151 and "
        "143 repeats (M 0.664, 0.680), against the annealing's 119-129 (0.70-0.73) in 1 CPU s.",
        "- Diversity does not force two sessions to overlap. Given a session of sp_40 at the bound, HiGHS "
        "proves (240 s) that another session at the bound can share as few as 15 co-seated pairs with "
        "it, the least any two seatings share. The annealed plans share 19-23 per two sessions (213 "
        "coincidences where 150 is the least), so what sp_40 lacks is coincidences gathered on few pairs.",
        "- Gathering them by pods fails exactly. With 20 pods of two (a maximum-weight matching of the "
        "most unlike members), no session of whole pods comes within 6.1% of the bound (MILP, proven). "
        "Pods drawn inside a bound session's tables, with the pods of one table kept apart in the next "
        "session as pods meeting every time need, leave that session 37-55% above the bound (4 "
        "pairings). A bonus for seating again pairs that already met twice (0.3 or 0.6 off their cost) "
        "gives sp_40 117-124 repeats but M 0.657-0.714, against 119-129 and 0.700-0.725 without it: not "
        "kept.",
        "- Unseen 8's sessions are a hard search, not a loose bound. HiGHS started from the engine's "
        "session 1 (8.5% above the bound) improves nothing in 60 s, and from scratch stands 43% above "
        "after 60 s. Re-splitting every two tables exactly (all 6435 splits of their 15 members) improves "
        "1-5 of each session's 190 pairs of tables, by at most 1.1% of the bound. The whole plan with "
        "eight times the effort reaches 4.9% and 5.1% (seeds 0 and 1, 28 CPU s, M 0.941-0.945, 81-85 "
        "repeats against 66). Up to five more passes of the last round with doubling work, from the "
        "finished plan, end at 6.3-7.7% after 66-69 CPU s: once the plan is set, more work does not help. "
        "So `civicforum tables` now says when a plan's diversity ends more than 5% above its bound and "
        "suggests `--effort 8` (unseen 8 through the CLI: 7.8% in 6 s, then 4.9% in 32 s).",
        "- Close misses on M stay missed. On the 40-panel run (seed 0), twice the effort moves unseen 15 "
        "from 0.931 to 0.934 (target 0.935) and unseen 19 from 0.976 to 0.982 (0.988), and leaves unseen "
        "13 and 28 where they are; a budget of 4.9% instead of 4% gives 0.934, 0.981, 0.884 and 0.961. "
        "Trading diversity for mixing pays slowly: unseen 13 reaches M 0.883 at 4% above the bound, 0.901 "
        "at 10%, 0.922 at 19%, 0.954 at 36% and 0.980 with diversity ignored, against its target of 0.900.",
        "- Where random seating scores M above 0.9 (7 of the 44 rows of the 40-panel run, 4 of the 16 "
        "here) the target as written, M at least 0.1 above random seating's, exceeds the largest possible "
        "M of 1. The bench caps it at 1, which asks for no repeat pair at all; unseen 2, 3 and 17 meet "
        "that, unseen 5, 8, 18 and 39 do not.",
        "",
        "Kept in earlier rounds (see git log for figures): a work budget of 2e6 counted units per plan "
        "spread over three annealing rounds (1 : 1/2 : 1/3), at least 100 and at most 400 steps per member "
        "and session; annealing and descent scoring up to 32 members' swaps in one set of numpy calls "
        "(4-7 us per step), with no BLAS, whose kernels sum in CPU-dependent orders so that one seed gave "
        "different plans on different machines (a test runs a seed under two OpenBLAS kernels); two-for-two "
        "exchanges in the descent, and after the last annealing round one more descent of every session "
        "against the others' final seatings (a second one changes almost nothing); the session budget 4% "
        "above the bound rather than 3%, pooled over the plan once every session is seated, a session "
        "taking what the others leave up to 20% above its own bound (sp_40 133 -> 124-127 repeats, unseen "
        "11 0.740 / 163 -> 0.761 / 143); costs of seating a pair together by how often it met elsewhere "
        "(repeat 0.8, lost meeting 0.6, none for pairs that already met twice).",
        "",
        "Rejected in earlier rounds as noise or worse: exact large-neighbourhood re-seats of 2-4 tables by "
        "HiGHS MILP (sessions were already optimal for them in all but 3 of 112 tries, for 2-12 times the "
        "CPU); a CP-SAT model of the whole sp_40 plan (OR-Tools 9.15 in a scratch venv, 120 s on 2 "
        "workers: 165 repeats; an exact CP-SAT re-seat of one session could not even match its starting "
        "seating); moves of three members round three tables (no improving cycle on the engine's plans); "
        "persistent pods; other mixing weights, temperatures and diversity weights inside the budget; "
        "more rounds; 4-8 times the effort (small steady gains on the largest panels only); a 4.5% "
        "budget; larger slack (sp_40 with 10% 0.727 / 116, 20% 0.739 / 102, both far from the target of "
        "86 and breaking the D target); restarts (the best of seeds 0-8 flips no panel: sp_40 0.725 / "
        "119, unseen 7 M 0.934 against 0.935, unseen 1 337 repeats against 314, unseen 11 0.767 / 144 "
        "against 0.782 / 115); for unseen 8, a set-partitioning LP over tables by column generation (it "
        "converged exactly at the coupled bound, and its best partition is 7.0% above), and four times "
        "the effort (5.9-6.5%, 14-15 CPU s), though one session searched for diversity alone with ten "
        "times a plan's work reaches 2.2-3.4%; two-for-two exchanges as annealing moves (noise-level "
        "gains for 1.4-2.9 times the CPU); a depth-2 swap descent (almost no change); a session cap of 8% "
        "instead of 20% (more repeats on 21 of the 44 rows of the 40-panel run, fewer on 13).",
        "",
        "40 generated panels (`--unseen 40 --seeds 1`) behave like the 12 here: 24 of the 44 rows meet "
        "every target, every gap is at most 4.0% except unseen 8's, and the mixing targets are missed "
        "mostly where few tables meet many sessions (unseen 23: 36 members, 4 tables, 6 sessions, M 0.517 "
        "against random 0.486; 37: 57, 6, 8, M 0.570 against 0.544; also 14, 21, 27, 30, 35) or where "
        "random seating already scores near 0.9 so that the target allows almost no repeat pair (18, 19, "
        "28, 39). With diversity ignored the same search reaches far more there (37: 0.736 / 250; 23: "
        "0.654 / 148; 35: 0.803 / 162).",
        "",
        "60 more generated panels (`--unseen 60 --unseen-from 40 --seeds 1 --no-write`): 29 meet every "
        "target; D is within 5% on 58 (every gap at most 4.6% but unseen 69's 5.9% and 94's 13.5%), M on "
        "30 and repeats on 39. The two D misses are small panels with many sessions (39 members, 5 "
        "tables, 8 sessions; 37, 6, 10), and they are the only rows whose M is below random seating's "
        "(0.468 against 0.487; 0.412 against 0.480); with diversity ignored the same search reaches M "
        "0.64 and 0.63 on them, so there mixing is what diversity costs. They differ. Unseen 69's first "
        "session reaches the bound exactly (HiGHS, 3 s), and eight times the effort takes the plan to "
        "4.6% (M 0.459, before the change below). Unseen 94's bound is out of reach: the best seating of "
        "its first session is 7.15% above it (HiGHS, optimal in 410 s), so no plan can meet the D target; "
        "eight times the effort leaves the plan at 12.9%, and 1 of 30 short diversity-only searches of "
        "that session finds the 7.15%. `civicforum tables` says, when diversity ends more than 5% above "
        "the bound, that the panel itself can force that. Measured and not kept: letting the tabu search "
        "cross the diversity limit at an adaptive price (strategic oscillation; sp_40 114-123 repeats "
        "against 117-118, unseen 52 51 against 53, unseen 11 142 against 148 but M 0.751 against 0.764), "
        "and drawing the annealing's movers by how badly they sit (unseen 8's first session alone, 12 "
        "seeds at the same work: mean gap 7.0% against 8.0%, inside the seeds' spread of 4-10%).",
        "",
        "Kept this round: repeat costs scaled by 1/rho where rho, the plan's co-seated pairs over all "
        "pairs, exceeds 1 (rounded to sixteenths). There most pairs meet twice whatever the plan, and "
        "gathering repeats on few pairs at full cost took distinct meetings from everyone else: 32 "
        "members at 4 tables for 10 sessions mixed below random seating (M 0.336 against 0.343; now "
        "0.372), and 200 at 4 tables for 10 sessions 0.301 against 0.312 (now 0.331, where 0.340 is the "
        "most possible, for 11,122 repeats instead of 7,879 out of random's 14,790). No benchmark row "
        "above has rho above 1, so their plans are unchanged. Of the 100 generated panels (seeds 0-99) 12 "
        "have rho above 1; on them, seed 0, M rises on 11 (by up to 0.03; unseen 47 falls from 0.537 to "
        "0.520), repeats fall on 4 and rise on 8, unseen 14 now meets its M target and no row meets its "
        "repeat target before or after. The counts of targets met on the 60-panel run stay as they were; "
        "the two D misses move (unseen 69 5.3% to 5.9%, 94 12.0% to 13.5%).",
        "",
        "Re-run on 2026-11-27 on another machine of this kind (`python bench/tables.py --no-write`): "
        "every D, bound, M and repeat figure in the table reproduced exactly on all 16 rows, so plans do "
        "not depend on the machine. Times did: 200x20x8 took 4.1-4.2 CPU s with that machine idle and "
        "5.9-6.5 CPU s while three test suites ran beside it (the bench then reports the time target "
        "missed), against the 3.0 s recorded above. The engine uses one core; the search's work is "
        "counted, not timed, so a slower or busier machine changes the time and never the plan. Later "
        "that day, on a third machine and after the changes that name the fewest conflicting rules and "
        "move a cluster to tables that can seat it (`python bench/tables.py --only sp_40,large --seeds 1`, "
        "the code before and after run in turn): the same D, M and repeat figures, and 200x20x8 took "
        "3.2 CPU s both before and after. On a fourth machine, after the conflict check came to share "
        "the planner's session set-up (`--only large`, alternating with the previous code twice): the "
        "same figures, and 4.1-4.4 CPU s with either code, so that machine, not the change, was slower.",
        "",
        "Kept in the latest round (another machine of this kind): the same work done faster, with byte-"
        "identical plans (checked on sp_40, sp_80, sp_150, six generated panels, 200x20x8, a 200x4x10 "
        "panel and five constrained cases, seeds 0-1). The tabu search's per-table sums no longer go "
        "through BLAS, whose two threads burned CPU waiting for each other on a busy machine (CPU time "
        "above wall time: much of the 3.0-4.4 s spread between machines above); gathers replace numpy's "
        "cross-indexing; caches keep what a session's search reuses. 200x20x8 went from 3.12-3.26 to "
        "2.54-2.59 CPU s and sp_40 from 0.93 to 0.84 s (five runs each, old and new alternated). The two-"
        "for-two exchange costs of a feature with more than 8 values are now worked out only for the "
        "pairs an exchange reads: a postcode column of 80 values used to need 13 GB per table and ran the"
        " machine out of memory. Measured and not kept: spending the time saved on three times the tabu "
        "work (1.5e6 units). On the 40-panel run (seed 0) repeats fall on 26 of the 44 rows and rise on "
        "2, and M rises on 20 and falls on 3, but no row's targets change (24 meet every one): sp_40 118 "
        "-> 109 repeats (M 0.729 -> 0.725), sp_150 219 -> 210, unseen 19 31 -> 20 (M 0.978 -> 0.986, "
        "target 0.988), for 0.3-0.6 CPU s more (200x20x8 3.1 s). The margin under the 5 s target on "
        "slower machines was worth more.",
        "",
        "Measured this round and not kept: a large neighbourhood across sessions. Free 6-10 members in "
        "every session at once and re-seat them exactly in the seats they left (a HiGHS MILP: repeat "
        "pairs, distinct meetings held at least at the M target, the plan's D within its 4% budget). "
        "Started from the engine's sp_40 plan (seed 0, 118 repeats), about 90 such neighbourhoods "
        "(random members, or members of repeat pairs) were all already optimal, even with M allowed "
        "down to 0.69; with D allowed 30% above the bound, 20 s solves removed 4 repeats. The plans the "
        "engine ends with are local optima of far larger moves than its own, which is more evidence that "
        "sp_40's 86 is out of reach within 5%.",
        "",
        "The round before this one ran on a slower machine, whose speed varied: a plain Python loop of "
        "ten million additions took 0.95-1.25 CPU s there, and 200x20x8 took 6.48 and 9.06 s in two full "
        "runs (the previous round's code 62b7334 took the same time on it), for exactly the same D, M and "
        "repeat figures on every row. The run above is on a faster one: the same loop took 0.54 CPU s at the "
        "start of this round and 0.82 s just before the run, and 200x20x8 took 2.77 s.",
        "",
        "Measured this round and not kept: two ways of using the second core the time target allows, "
        "each giving the same plan whether it runs on one core or two. (1) Jacobi halves: the planned "
        "sessions split in two halves, each half seated in turn against the other half's seatings from "
        "the pass before, the diversity budget pooled within each half so the halves never spend the "
        "same slack. Seed 0: 200x20x8 156 -> 469 repeats (M 0.974 -> 0.918) with every pass split, "
        "156 -> 178 with the first pass still in turn; sp_40 118 -> 119 and 122 (M 0.729 -> 0.711 and "
        "0.705, below its target). A session seated against another's stale seating repeats the pairs "
        "that one is moving away from. (2) A portfolio: two runs at half the effort, one per core, "
        "keeping the plan with fewer repeats. Against one run at full effort, seeds 0-2: sp_40 "
        "121-125 against 117-118 repeats, sp_80 117-120 against 110-129, sp_150 220-227 against "
        "208-224, 200x20x8 168-178 against 148-166, unseen 1 359-382 against 344-349, unseen 4 "
        "1107-1137 against 1094-1119, unseen 9 788-816 against 773-793, unseen 11 138-144 against "
        "141-148. Both cost mixing on most rows for a time the target allows on this machine anyway, "
        "so the engine stays on one core, and its work, not the clock, sets the plan.",
        "",
        "Why targets are missed: diversity comes first, and near its lower bound it leaves mixing little "
        "room. At D = bound on sp_40 only 6 of the 640 single swaps keep D; on sp_40 5% of a session's "
        "bound is 0.2 of its summed deviations, less than one value moved off target at one table (0.25 "
        "at tables of 8). The same search with diversity ignored reaches M 0.85 / 43 repeats on sp_40, "
        "0.98 / 24 on sp_80, 0.85 / 473 on unseen 9, 0.96 / 228 on unseen 4, 0.95 / 40 on unseen 11 and "
        "0.96 / 95 on unseen 1. With fewer tables than seats per table (sp_40: 5 tables of 8) any two "
        "sessions share at least T*(n-T) = 15 co-seated pairs, 150 over 5 sessions; seed 0's plan shares "
        "19-23 per two sessions (95 pairs meet twice, 30 three times, 4 more often), and half of "
        "HERMES's repeats would need those coincidences gathered on pairs meeting 3 or more times. Such "
        "structures do not survive the diversity budget: a cyclic plan of sp_40 with M 0.89 / 15 repeats "
        "stays 49% above the bound after the best reassignment of members to its seat sequences, and "
        "re-seating within the budget from it, or from pods of two unlike members, ends at M 0.62-0.68 "
        "with 135-154 repeats; persistent pods as keep-together units add their coincidences to the "
        "others' instead of replacing them. Where random seating scores M > 0.9 (unseen 5 and 8) the "
        "capped target means no repeat pair at all, which costs about 12% of D on unseen 5. Unseen 8's D "
        "needs more search than the time target allows (above); any two of its 6 features, and the "
        "triples tried, balance jointly to the coupled bound (exact MILPs).",
    ]
    print(lines[-1])
    if only is None:
        lines += ["", *tradeoff_lines(), "", TRADEOFF_NOTE]
    if not args.no_write and only is None:
        text = RESULTS.read_text()
        begin, end = "<!-- tables:begin -->", "<!-- tables:end -->"
        head, rest = text.split(begin, 1)
        _, tail = rest.split(end, 1)
        RESULTS.write_text(head + begin + "\n" + "\n".join(lines) + "\n" + end + tail)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

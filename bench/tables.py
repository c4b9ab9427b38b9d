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


def run(members: list[Member], meta: dict, seed: int) -> dict:
    by_id = {m.id: m for m in members}
    features = meta["diversify"]
    settings = AllocationSettings(
        tables=meta["tables"], sessions=meta["sessions"], diversify=features, seed=seed
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


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one seed, 4 unseen panels")
    parser.add_argument("--unseen", type=int, default=None, help="number of generated panels (default 12)")
    parser.add_argument("--no-write", action="store_true", help="print only; leave RESULTS.md alone")
    parser.add_argument(
        "--only",
        default=None,
        help="comma-separated panels to run, e.g. sp_40,unseen_5,large (implies --no-write)",
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
    panels = [(name, *load_panel(name)) for name in REFERENCE]
    panels += [(f"unseen {seed}", *generate_panel(seed)) for seed in range(unseen)]
    panels.append(("large 200x20x8", *generate_panel(1000, (200, 20, 8))))
    if only is not None:  # names as in the table with "_" for spaces; "large" for the timing case
        panels = [p for p in panels if p[0].replace(" ", "_") in only or p[0].split()[0] in only]
        if not panels:
            parser.error(f"no panel matches --only {args.only}")
    for name, members, meta in panels:
        r = median_run(members, meta, seeds)
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
    lines += [
        "",
        f"{len(panels) - failures} of {len(panels)} panels meet every target. The time target is judged on "
        "CPU seconds (one core is used), since the shared machine's wall clock mostly measures other jobs; "
        "CPU seconds vary too on this shared virtual machine (an older engine took 2.6 s on the 200x20x8 "
        "case in one run and 8.7 s at a busier hour). The search effort is a work budget per plan (below), "
        "so every panel here takes 0.6-3.2 CPU s and 200x20x8 2.5-2.7 s (1.9 s before).",
        "",
        "This round (kept): search effort from a work budget, and an annealing step 3-4 times cheaper. The "
        "annealing scores up to 32 members' swaps in one set of numpy calls and draws their moves in order, "
        "the first accepted move ending the batch (the rows after it were scored on the old seating), and "
        "the swap descent does the same: same plans bit for bit, sp_40 0.55 -> 0.23 CPU s, sp_80 1.53 -> "
        "0.85 s. Gumbel noise is drawn in single precision (rng.gumbel cost 3.7 us per step at 200 members), "
        "two-for-two exchanges read each feature's change from a per-table lookup over the two pairs' values "
        "(same plans; unseen 4 4.4 -> 2.8 s) and a swap updates fewer arrays. A step, exchanges included, "
        "now costs 4-7 us instead of 14-22 us (sp_40 to 200x20x8, seed 0). Each session gets an equal "
        "share of 2e6 work units per plan (later rounds a half and a third of the first's), counted, not "
        "timed: 30 per batch scored, 0.0016 per value cell scored, 26 per exchange, fitted to CPU time "
        "(about a microsecond each here); at least the old fixed count of steps (100 per member, fewer "
        "above 86 members) and at most 400 per member; the temperature falls with the share spent. Plans "
        "make 3.6-5.8 times the steps they did (seed 0: sp_80 3.6, sp_40 3.9, unseen 11 4.0, unseen 7 5.6, "
        "200x20x8 5.8) for 0.7-2.6 times the CPU (most where few sessions took least: unseen 5 0.7 -> 1.8 "
        "s; unseen 4 4.5 -> 3.0 s). sp_80 "
        "now meets every target: 0.893 / 132 over seeds 0-2 (was 0.887 / 139), and over seeds 3-8 repeats "
        "median 125.5 with 5 of 6 at most 135 (previous code: 140). Medians of seeds 0-2 elsewhere, before "
        "-> after: repeats unseen 7 420 -> 378 (M 0.920 -> 0.927, target 0.935), unseen 1 381 -> 367, 5 18 "
        "-> 10, 6 155 -> 140, sp_150 262 -> 237, 200x20x8 213 -> 180; unseen 8's gap 11.0% -> 8.8%. Unseen "
        "11 loses a little M (0.751 -> 0.740) at every step count tried (0.742 with the old count, 0.745 "
        "with 200 per member), so from the new random stream, not from the extra steps. A first version "
        "counting steps (a step of n movers as 1 + n/32 units) overspent where most swaps are neutral and "
        "accepted (unseen 2 and 3, 3-4 sessions: 4.2 and 4.6 CPU s, 26 us per step), hence exchanges are "
        "counted. Rejected: more than 400 steps per member (sp_40 with 970: 0.702 / 132; 400: 0.704 / 133; "
        "100: 0.684 / 136), equal shares for the three rounds (sp_80 136 repeats, unseen 1 389), shares 1 : "
        "1/4 : 1/9 (noise: sp_80 128, unseen 9 808, sp_40 136, unseen 11 165). 1.5 times the budget "
        "(200x20x8 3.6 s) flips no panel: unseen 1 0.861 / 354 (repeat target 314), unseen 7 0.929 / 365.",
        "",
        "Why targets are missed: diversity comes first, and near its lower bound it leaves mixing little "
        "room. At D = bound on sp_40 only 6 of the 640 single swaps keep D, and the same search with "
        "diversity ignored reaches M 0.85 / 43 repeats on sp_40, 0.98 / 24 on sp_80, 0.85 / 473 on unseen"
        " 9 and 0.96 / 228 on unseen 4, while with D allowed 20% above its bound sp_40 still gets only "
        "about 0.72 / 114. With fewer tables than seats per table (sp_40: 5 tables of 8) any two sessions"
        " share at least T*(n-T) = 15 co-seated pairs, 150 over 5 sessions; the plans here share 17-25 "
        "per two sessions (200-220 in all), and half of HERMES's repeats would need those coincidences "
        "gathered on pairs meeting 3 or more times. Building such a structure first does not survive the "
        "diversity budget: a cyclic plan of sp_40 where some pairs always sit together and every other "
        "pair meets at most once scores M 0.89 / 15 repeats, but its D stays 49% above the bound even "
        "after the best reassignment of members to its seat sequences (which leaves mixing unchanged), and"
        " re-seating each session within the budget from it, or from pods of two unlike members scheduled"
        " so that pods rarely meet twice, ends at M 0.62-0.68 with 135-154 repeats; pod starts also end "
        "below the engine's own start on sp_80 (0.849 / 168), unseen 4 (0.760 / 1251), 9 (0.675 / 994) "
        "and 11 (0.677 / 210; seed 0 each). Where random seating already scores M > 0.9 (unseen 5"
        " and 8) the capped target means no repeat pair at all. Unseen 8's D: balancing any two of its 6 "
        "features jointly, or the triples tried, still reaches the coupled bound (exact MILPs), so the "
        "gap comes from interactions of 4 or more features; a diversity-only descent over all re-splits "
        "of two tables stays 6.4% above the bound and a 240 s HiGHS MILP of one session 46% (its dual "
        "bound at the coupled bound), so whether 5% is attainable there is open. Diversity is what limits "
        "mixing on the many-session panels too: with diversity ignored the search reaches 0.95 / 40 on "
        "unseen 11 and 0.96 / 95 on unseen 1, and with a 10% budget 0.78 / 142 and 0.89 / 289 (seed 0).",
        "",
        "Previous round: exact large-neighbourhood search, rejected (not in the engine). A HiGHS MILP "
        "re-seated every movable member of 2-4 tables of one session optimally for the session's own "
        "objective "
        "(member-table binaries, per-table value deviations, the budget overshoot, y >= x_a + x_b - 1 only "
        "for pairs that met in other sessions, hard rules as constraints, the current seating as MIP start, "
        "200 nodes and 2 s at most), alternating with swap descent. The weighted objective's LP relaxation "
        "is weak: on sp_40 (seed 0, last session, others fixed) three tables (598 columns) have root bound "
        "4.4 against the incumbent's 45 and hit the 2 s limit without improving, and RLT rows (sum_w y_uwt "
        "= (n_t - 1) x_ut, y <= x) leave the bound at 4.4; two tables solve exactly in 0.15-0.2 s. And the "
        "sessions are already near-optimal for such neighbourhoods: exact two-table re-seats improved 0 of "
        "2 tried on sp_40, 1 of 10 on unseen 9 (session objective 285.1 -> 283.4), 0 of 10 on unseen 4 and "
        "1 of 10 on unseen 1; three tables with their 4 costliest members each (about 0.1 s) 0 of 20 on "
        "sp_40, unseen 9 and 1, and 1 of 20 on unseen 4. Passes over all sessions: unseen 1 380 -> 378 "
        "repeats (15 CPU s), unseen 11 161 -> 160 (21 s). In the engine (last round, 5 such re-seats per "
        "session, the most burdened table first), medians of seeds 0-2: sp_40 0.693 / 133 (before 0.700 / "
        "133), sp_80 0.889 / 135 (0.887 / 139, but 142 against 140 over seeds 3-8), unseen 9 0.741 / 819 "
        "(0.739 / 818), 11 0.745 / 159 (0.751 / 161), 1 0.844 / 390 (0.844 / 381), 5 0.982 / 21 (0.983 / "
        "18), for 2-12 times the CPU time (sp_40 0.55 -> 6.5 s). Unseen 5 with met pairs forbidden and "
        "diversity as the objective: three-table re-seats take its 18 repeats to 14 and its gap from 3.4% "
        "to 4.1% in two passes (26 CPU s); pricing every met pair at 100 lets the annealer itself reach 0-1 "
        "repeats, but at gaps 12.5-14.4% (seeds 0-1), and diversity-only re-seats under the no-repeat rule "
        "bring that only to 12.6%, so no repeat pair at all costs about 12% of D there. Unseen 8: the "
        "engine's sessions are already optimal for diversity alone on each of 4 random table triples "
        "checked (exact, 0.5-0.8 s each); from a diversity-only plan (gap 8.6%) targeted three-table "
        "re-seats plateau at 8.0% (42 CPU s) and four-table ones reach 8.3% (1.6 s each, mostly at the "
        "limit). What limits mixing is the trade-off with diversity, not a search stuck in a thin swap "
        "landscape: on sp_40 5% of a session's bound is 0.2 of its summed deviations, less than one value "
        "moved off target at one table (0.25 at tables of 8), so the D target leaves each session about one "
        "misplaced value to trade (0.8-4.4 such moves per session across the panels, fewest on sp_40 and "
        "unseen 11). Also within noise: a 4.5% budget (seeds 0-2: repeats sp_40 134, sp_80 138, unseen 9 "
        "815, 11 158, 1 382, 5 19; gaps up to 4.3%). More annealing steps helped the big panels steadily "
        "(unseen 7 M 0.919 -> 0.929 with 4 times the steps, seeds 0-1, 0.934 with 8 times, seed 0; unseen 4 "
        "0.788 / 1118 -> 0.799 / 1069 at 8 times) and sp_80 with 3 times (0.898 / 128), not sp_40 or unseen "
        "11 at twice (139 and 164 repeats); a plan-wide budget capping every plan at the 200x20x8 case's "
        "work of then was noise or worse (sp_80 140, unseen 9 831, 1 385, 4 1177). Dropping the two-for-two "
        "descent saves 40% of unseen 7's CPU time at about the same M (0.917) but lets unseen 4's gap rise "
        "to 4.7-4.8%.",
        "",
        "Kept two rounds ago: the diversity budget is 4% above each session's bound instead of 3% "
        "(the last pass can leave a session up to 0.7% over it). Over seeds 0-2 this lowers repeats on 6 "
        "of the 9 panels that missed a mixing target (sp_40 143 -> 133, unseen 1 407 -> 381, 4 1154 -> "
        "1118, 5 23 -> 18, 7 447 -> 420, 9 835 -> 818) and raises M a little on most, while unseen 11 "
        "loses (0.741 / 156 -> 0.731 / 163) and gaps rise by about 1% to at most 4.0% (unseen 8 aside).",
        "",
        "Tried and rejected in earlier rounds (with the 3% budget, seed 0 unless said): persistent pods, "
        "i.e. pairs kept together in every session as hard keep-together units so that forced coincidences "
        "gather on them. Table sizes "
        "force coincidences only on sp_40 (15 shared pairs per two sessions) and unseen 9 (2). On sp_40 the "
        "pairs outside 8 pods still coincide 227 times (201 without pods; the arithmetic would need 150 "
        "minus 10 per pod), so each pod's 10 coincidences add to the others instead of replacing them: "
        "8 pods of unlike members give gap 3.9-4.9%, M 0.61-0.63 and 138-146 repeats (seeds 0-1; without "
        "pods 0.5-0.7%, 0.686-0.693, 138-143), 15 pods gap 12-13% and M 0.48-0.57, 8 pods taken from one "
        "diversity-optimal session M 0.53-0.61 with 143-180 repeats, 8 pods of like members gap 24-26%; "
        "2 pods on unseen 9 give 0.738 / 817 and 0.735 / 839 against 0.735 / 830 and 0.742 / 837 without "
        "(seeds 0-1). Also within seed noise or worse on the failing panels: two-for-two exchanges "
        "as annealing moves or in every round, other mixing weights (lost meeting 1.0 / repeat 0.4, or "
        "0.4 / 1.2), cheaper further meetings of pairs that already met twice (sp_40 131-142 repeats but "
        "M 0.67), start temperature 1 or 6 instead of 2.5, four times the effort, five refinement "
        "rounds instead of two, and (4% budget, seeds 0-2) a diversity weight of 0.25 instead of 0.5 "
        "inside the budget with the same steepness above it (unseen 7 386 repeats, but unseen 9 loses its "
        "M target and unseen 0 and 10 get worse). Unseen 5 needs no repeat pair at all: it keeps 5 with "
        "a 10% budget and 4 with 20% (gaps 9.5% and 12.8%).",
    ]
    print(lines[-1])
    if not args.no_write and only is None:
        text = RESULTS.read_text()
        begin, end = "<!-- tables:begin -->", "<!-- tables:end -->"
        head, rest = text.split(begin, 1)
        _, tail = rest.split(end, 1)
        RESULTS.write_text(head + begin + "\n" + "\n".join(lines) + "\n" + end + tail)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

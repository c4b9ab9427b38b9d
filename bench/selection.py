"""Benchmark: CivicForum's selection algorithms against sortition-algorithms, side by side in one run.

Runs every instance in the shared sortition data folder and a seeded synthetic scale series (pool 500
to 10,000, panel 40 to 200), and records wall and CPU time, minimum probability, geometric mean, Gini
coefficient, panels in the support and the time ratios (peer / ours) in ``bench/RESULTS.md`` between
the ``selection`` markers. The peer (GPL-3.0) runs in its own virtualenv ``bench/.peers/sortition``
(created here if missing) through ``bench/peers/sortition_driver.py``; it is never imported. Every run,
ours included, is a subprocess with a time limit so one slow case cannot stall the benchmark.

    .venv/bin/python bench/selection.py [--quick] [--only NAME] [--no-peer] [--data DIR]
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import random
import resource
import shlex
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
PEER_VENV = REPO / "bench" / ".peers" / "sortition"
PEER_DRIVER = REPO / "bench" / "peers" / "sortition_driver.py"
PEER_PACKAGE = "sortition-algorithms[mip]==0.12.15"
RESULTS = REPO / "bench" / "RESULTS.md"
BEGIN, END = "<!-- selection:begin -->", "<!-- selection:end -->"

# (pool, panel) for the synthetic scale series
SCALE_SERIES = [(500, 40), (1000, 60), (2000, 100), (5000, 150), (10000, 200)]
QUICK_SCALE_SERIES = [(500, 40)]

# Census-like shares (England & Wales 2021, adults, rounded) and self-selection bias (relative
# response propensity): older, more qualified owner-occupiers volunteer more often.
FEATURES: dict[str, list[tuple[str, float, float]]] = {
    "gender": [("Female", 0.51, 1.1), ("Male", 0.49, 0.9)],
    "age": [
        ("16-24", 0.13, 0.5),
        ("25-34", 0.17, 0.7),
        ("35-44", 0.16, 0.9),
        ("45-54", 0.17, 1.0),
        ("55-64", 0.15, 1.3),
        ("65+", 0.22, 1.6),
    ],
    "ethnicity": [
        ("White", 0.82, 1.1),
        ("Asian", 0.09, 0.7),
        ("Black", 0.04, 0.6),
        ("Mixed", 0.03, 0.8),
        ("Other", 0.02, 0.7),
    ],
    "qualification": [
        ("None", 0.18, 0.5),
        ("Level1-2", 0.31, 0.8),
        ("Level3", 0.17, 1.0),
        ("Level4+", 0.34, 1.6),
    ],
    "tenure": [("Owner", 0.62, 1.3), ("SocialRent", 0.17, 0.6), ("PrivateRent", 0.21, 0.8)],
    "area": [
        ("North", 0.22, 1.0),
        ("East", 0.21, 1.1),
        ("South", 0.20, 1.2),
        ("West", 0.19, 0.9),
        ("Central", 0.18, 0.8),
    ],
}


@dataclass(frozen=True)
class Case:
    name: str
    people: Path
    features: Path
    panel: int
    id_column: str
    address_columns: tuple[str, ...]


@dataclass
class Outcome:
    system: str
    algorithm: str
    seconds: float | None
    probabilities: dict[str, float]
    panels: int
    cpu_seconds: float | None = None
    note: str = ""


def write_synthetic(folder: Path, pool: int, panel: int, seed: int) -> Case:
    """A pool drawn from census shares tilted by response propensity; quotas floor/ceil(share * k) -/+ 1."""
    rng = random.Random(seed)
    rows: list[dict[str, str]] = []
    for index in range(pool):
        row = {"id": f"s{index}"}
        for feature, values in FEATURES.items():
            names = [name for name, _, _ in values]
            weights = [share * bias for _, share, bias in values]
            row[feature] = rng.choices(names, weights)[0]
        row["address1"] = f"{index + 1} Street {index}"
        row["postcode"] = f"PC{index:05d}"
        if index and rng.random() < 0.06:  # shares a household with the previous volunteer
            row["address1"], row["postcode"] = rows[-1]["address1"], rows[-1]["postcode"]
        rows.append(row)
    name = f"synthetic_{pool}_{panel}"
    people, features = folder / f"{name}_people.csv", folder / f"{name}_features.csv"
    with open(people, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    with open(features, "w", newline="", encoding="utf-8") as handle:
        quota_writer = csv.writer(handle)
        quota_writer.writerow(["feature", "value", "min", "max"])
        for feature, values in FEATURES.items():
            for value, share, _ in values:
                quota_writer.writerow(
                    [feature, value, max(0, math.floor(share * panel) - 1), math.ceil(share * panel) + 1]
                )
    return Case(name, people, features, panel, "id", ("address1", "postcode"))


def shared_cases(data: Path) -> list[Case]:
    cases = []
    for folder in sorted(p for p in data.iterdir() if (p / "meta.json").is_file()):
        meta = json.loads((folder / "meta.json").read_text())
        with open(folder / "people.csv", newline="", encoding="utf-8-sig") as handle:
            header = next(csv.reader(handle))
        id_column = "nationbuilder_id" if "nationbuilder_id" in header else "id"
        address = ("address1", "postcode") if {"address1", "postcode"} <= set(header) else ()
        cases.append(
            Case(folder.name, folder / "people.csv", folder / "features.csv", meta["k"], id_column, address)
        )
    return cases


def ensure_peer() -> Path:
    """The peer's interpreter, creating its virtualenv on first use."""
    python = PEER_VENV / "bin" / "python"
    if not python.exists():
        print(f"creating {PEER_VENV} and installing {PEER_PACKAGE}", file=sys.stderr)
        subprocess.run(["python3", "-m", "venv", str(PEER_VENV)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", PEER_PACKAGE], check=True)
    return python


def children_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_job(command: list[str], output: Path, limit: float) -> tuple[dict[str, Any] | None, str, float]:
    """Run a worker; its JSON result or why there is none ('> N s' on timeout), and its CPU seconds.

    CPU time is the worker process's own user + system time (start-up and imports included), which
    the other engineer's jobs on the shared cores do not inflate the way they inflate wall time.
    """
    before = children_cpu_seconds()
    try:
        completed = subprocess.run(command, capture_output=True, text=True, timeout=limit)
    except subprocess.TimeoutExpired:
        return None, f"> {limit:.0f} s", children_cpu_seconds() - before
    cpu = children_cpu_seconds() - before
    if completed.returncode != 0 or not output.exists():
        last = (completed.stderr.strip().splitlines() or ["no output"])[-1]
        return None, f"failed: {last[:120]}", cpu
    return json.loads(output.read_text()), "", cpu


def run_case(
    case: Case, system: str, algorithm: str, limit: float, scratch: Path, peer: Path | None
) -> Outcome:
    output = scratch / f"{case.name}-{system}-{algorithm}.json"
    output.unlink(missing_ok=True)
    job = {
        "people": str(case.people),
        "features": str(case.features),
        "panel": case.panel,
        "algorithm": algorithm,
        "id_column": case.id_column,
        "address_columns": list(case.address_columns),
        "output": str(output),
    }
    if system == "CivicForum":
        command = [sys.executable, str(Path(__file__).resolve()), "--worker", json.dumps(job)]
    else:
        assert peer is not None
        job["backend"] = "mip" if algorithm == "maximin" else "highspy"
        job_file = scratch / f"{case.name}-{algorithm}-job.json"
        job_file.write_text(json.dumps(job))
        command = [str(peer), str(PEER_DRIVER), str(job_file)]
    result, note, cpu = run_job(command, output, limit)
    if result is None:
        return Outcome(system, algorithm, None, {}, 0, cpu_seconds=cpu, note=note)
    probabilities = {str(k): float(v) for k, v in result["probabilities"].items()}
    return Outcome(
        system, algorithm, float(result["seconds"]), probabilities, int(result["panels"]), cpu_seconds=cpu
    )


def worker(job_text: str) -> None:
    """Our side of one run (in a subprocess, like the peer): read the files and find the distribution."""
    sys.path.insert(0, str(REPO / "src"))
    from civicforum.selection import Algorithm, find_distribution
    from civicforum.selection.io import load_instance

    job = json.loads(job_text)
    started = time.perf_counter()
    instance = load_instance(
        job["people"],
        job["features"],
        job["panel"],
        id_column=job["id_column"],
        address_columns=job["address_columns"],
    )
    result = find_distribution(instance, Algorithm(job["algorithm"]))
    seconds = time.perf_counter() - started
    support = sum(1 for weight in result.panel_probabilities if weight > 1e-9)
    summary = {"seconds": seconds, "probabilities": dict(result.selection_probabilities), "panels": support}
    Path(job["output"]).write_text(json.dumps(summary))


def gini(values: list[float]) -> float:
    ordered = sorted(values)
    n, total = len(ordered), sum(ordered)
    if not n or total <= 0:
        return 0.0
    weighted = sum((2 * (i + 1) - n - 1) * value for i, value in enumerate(ordered))
    return max(0.0, weighted / (n * total))  # equal chances can sum to a rounding error below zero


def geometric_mean(values: list[float]) -> float:
    if not values or min(values) <= 0:
        return 0.0
    return math.exp(sum(math.log(v) for v in values) / len(values))


def row(case: Case, pool: int, outcome: Outcome, ours: Outcome, limit: float) -> str:
    """One table row; a timed-out peer run still gets a lower bound on the ratios."""
    label = f"| {case.name} | {pool}/{case.panel} | {outcome.system} {outcome.algorithm} |"
    is_peer = outcome.system != "CivicForum"
    cpu = f"{outcome.cpu_seconds:.2f} s" if outcome.cpu_seconds is not None else "-"
    if outcome.seconds is None:
        timed_out = is_peer and outcome.note.startswith(">")
        ratio = f"> {limit / ours.seconds:.0f}x" if timed_out and ours.seconds else ""
        cpu_ratio = (
            f"> {outcome.cpu_seconds / ours.cpu_seconds:.0f}x"
            if timed_out and outcome.cpu_seconds and ours.cpu_seconds and ours.seconds
            else ""
        )
        return f"{label} {outcome.note} | {cpu} | - | - | - | - | {ratio} | {cpu_ratio} |"
    values = list(outcome.probabilities.values())
    ratio = f"{outcome.seconds / ours.seconds:.1f}x" if is_peer and ours.seconds else ""
    cpu_ratio = (
        f"{outcome.cpu_seconds / ours.cpu_seconds:.1f}x"
        if is_peer and outcome.cpu_seconds and ours.cpu_seconds and ours.seconds
        else ""
    )
    return (
        f"{label} {outcome.seconds:.2f} s | {cpu} | {100 * min(values):.2f}% | "
        f"{100 * geometric_mean(values):.2f}% | {gini(values):.3f} | {outcome.panels} | {ratio} | "
        f"{cpu_ratio} |"
    )


def write_section(lines: list[str]) -> None:
    text = RESULTS.read_text(encoding="utf-8")
    start, end = text.index(BEGIN) + len(BEGIN), text.index(END)
    RESULTS.write_text(text[:start] + "\n" + "\n".join(lines) + "\n" + text[end:], encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data" / "sortition")
    parser.add_argument("--quick", action="store_true", help="smallest scale case only, shorter time limits")
    parser.add_argument(
        "--full",
        action="store_true",
        help="also CivicForum MAXIMIN and NASH and the peer's nash on the shared instances",
    )
    parser.add_argument("--only", metavar="NAME", help="only cases whose name contains NAME")
    parser.add_argument("--no-peer", action="store_true", help="skip sortition-algorithms")
    parser.add_argument("--peer-limit", type=float, default=300.0, help="seconds per peer run (default 300)")
    parser.add_argument(
        "--ours-limit", type=float, default=300.0, help="seconds per CivicForum run (default 300)"
    )
    parser.add_argument("--no-write", action="store_true", help="print the table without touching RESULTS.md")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        worker(args.worker)
        return 0
    command = "python bench/selection.py " + shlex.join(argv if argv is not None else sys.argv[1:])
    peer = None if args.no_peer else ensure_peer()
    if args.quick:
        args.peer_limit, args.ours_limit = min(args.peer_limit, 60.0), min(args.ours_limit, 120.0)
    ours_algorithms = ["leximin", "maximin", "nash"] if args.full else ["leximin"]
    peer_algorithms = ["maximin", "nash"] if args.full else ["maximin"]
    scale_algorithms = (["leximin"], ["maximin"])
    lines = [
        f"Command: `{command.strip()}` (run {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; 2 shared "
        "cores, other jobs running, so times are noisy).",
        "",
        "Peer: sortition-algorithms 0.12.15 (maximin with CBC via python-mip, nash with HiGHS; its leximin "
        f"needs Gurobi). Time limits: peer {args.peer_limit:.0f} s, CivicForum {args.ours_limit:.0f} s per "
        "run. Wall time is measured inside each run around reading the CSV files and solving; CPU is the "
        "run's whole process (user + system, interpreter start-up and imports included), less disturbed "
        "by other jobs on the shared cores. CivicForum's HiGHS runs single-threaded. Ratios = peer / "
        "CivicForum LEXIMIN, on wall and on CPU time ('> N' when the peer hit its limit). CivicForum "
        "LEXIMIN finds the leximin point of the fractional panel polytope with small LPs and splits it into "
        "panels: it peels panels off the point (each found by repairing the last one with a few swaps, "
        "else by rounding the point and repairing that, a MILP only when both fail), and where the walk "
        "ends on a face without panels it steps back and splits that point by column generation over "
        "its small face (pricing by swaps and rounded LP relaxations first, MILPs only where those do "
        "not split any point); it falls back to level-by-level column generation when no panels reach "
        "the point. Type panels become concrete panels by giving each whole members of its types, "
        "splitting only the few pieces that even out the members' chances. Its minimum probability is "
        "the proven maximin. CivicForum LEXIMIN against the peer's maximin everywhere; with --full also "
        "CivicForum MAXIMIN and NASH and the peer's nash on the shared instances.",
        "",
        "| instance | pool/panel | system, algorithm | wall time | CPU | min p | geometric mean | Gini "
        "| panels | ratio (wall) | ratio (CPU) |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    with tempfile.TemporaryDirectory(prefix="selection-bench-") as scratch_name:
        scratch = Path(scratch_name)
        series = QUICK_SCALE_SERIES if args.quick else SCALE_SERIES
        scale = [write_synthetic(scratch, n, k, seed=n) for n, k in series]
        synthetic = {case.name for case in scale}
        cases = shared_cases(args.data) + scale
        for case in cases:
            if args.only and args.only not in case.name:
                continue
            with open(case.people, encoding="utf-8-sig") as handle:
                pool = sum(1 for line in handle if line.strip()) - 1
            ours_run, peer_run = (
                scale_algorithms if case.name in synthetic else (ours_algorithms, peer_algorithms)
            )
            outcomes = [run_case(case, "CivicForum", a, args.ours_limit, scratch, None) for a in ours_run]
            if peer is not None:
                outcomes += [
                    run_case(case, "sortition-algorithms", a, args.peer_limit, scratch, peer)
                    for a in peer_run
                ]
            for outcome in outcomes:
                limit = args.ours_limit if outcome.system == "CivicForum" else args.peer_limit
                line = row(case, pool, outcome, outcomes[0], limit)
                lines.append(line)
                print(line, flush=True)
            if not args.no_write:  # after every case, so a long run shows its progress in RESULTS.md
                write_section(lines)
    return 0


if __name__ == "__main__":
    sys.exit(main())

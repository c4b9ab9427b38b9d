"""Run one sortition-algorithms (GPL-3.0) distribution in the peer's own virtualenv; print JSON.

Invoked by ``bench/selection.py`` as ``bench/.peers/sortition/bin/python sortition_driver.py JOB.json``;
CivicForum never imports the peer. JOB: people, features (CSV paths), panel, algorithm (maximin |
nash | leximin), backend (highspy | mip), id_column, address_columns, output. Writes to ``output``
(the peer's solvers print on stdout) {"seconds", "probabilities": {id: p}, "panels"}, with the time
measured around the peer's own reading and solving.
"""

from __future__ import annotations

import csv
import json
import sys
import time


def read_csv(path: str) -> tuple[list[str], list[dict[str, str]]]:
    with open(path, newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        return list(reader.fieldnames or []), list(reader)


def main() -> None:
    with open(sys.argv[1], encoding="utf-8") as handle:
        job = json.load(handle)
    from sortition_algorithms import Settings, read_in_features, read_in_people
    from sortition_algorithms.committee_generation import (
        find_distribution_leximin,
        find_distribution_maximin,
        find_distribution_nash,
    )

    started = time.perf_counter()
    features_head, features_body = read_csv(job["features"])
    features, _, _ = read_in_features(features_head, features_body, job["panel"])
    settings = Settings(
        id_column=job["id_column"],
        columns_to_keep=[],
        check_same_address=bool(job["address_columns"]),
        check_same_address_columns=job["address_columns"],
        selection_algorithm=job["algorithm"],
        solver_backend=job["backend"],
    )
    people_head, people_body = read_csv(job["people"])
    people, _ = read_in_people(people_head, people_body, features, settings)
    finder = {
        "maximin": find_distribution_maximin,
        "nash": find_distribution_nash,
        "leximin": find_distribution_leximin,
    }[job["algorithm"]]
    committees, probabilities, _ = finder(
        features, people, job["panel"], settings.normalised_address_columns, job["backend"]
    )
    seconds = time.perf_counter() - started
    chance = {person: 0.0 for person in people}
    for committee, probability in zip(committees, probabilities, strict=True):
        for person in committee:
            chance[person] += probability
    support = sum(1 for probability in probabilities if probability > 1e-9)
    with open(job["output"], "w", encoding="utf-8") as handle:
        json.dump({"seconds": seconds, "probabilities": chance, "panels": support}, handle)


if __name__ == "__main__":
    main()

"""Dawid & Skene (1979), Table 1: 45 patients, 5 clinicians (clinician 1 rated each patient 3 times), classes 1-4.

Each row is one patient: the ratings of clinicians 1..5 (clinician 1's three ratings first). The published
estimates (Tables 2-4 of the paper) are below; the paper prints them to two decimals.
"""

from __future__ import annotations

RATINGS: list[tuple[tuple[int, int, int], int, int, int, int]] = [
    ((1, 1, 1), 1, 1, 1, 1),  # 1
    ((3, 3, 3), 4, 3, 3, 4),  # 2
    ((1, 1, 2), 2, 1, 2, 2),  # 3
    ((2, 2, 2), 3, 1, 2, 1),  # 4
    ((2, 2, 2), 3, 2, 2, 2),  # 5
    ((2, 2, 2), 3, 3, 2, 2),  # 6
    ((1, 2, 2), 2, 1, 1, 1),  # 7
    ((3, 3, 3), 3, 4, 3, 3),  # 8
    ((2, 2, 2), 2, 2, 2, 3),  # 9
    ((2, 3, 2), 2, 2, 2, 3),  # 10
    ((4, 4, 4), 4, 4, 4, 4),  # 11
    ((2, 2, 2), 3, 3, 4, 3),  # 12
    ((1, 1, 1), 1, 1, 1, 1),  # 13
    ((2, 2, 2), 3, 2, 1, 2),  # 14
    ((1, 2, 1), 1, 1, 1, 1),  # 15
    ((1, 1, 1), 2, 1, 1, 1),  # 16
    ((1, 1, 1), 1, 1, 1, 1),  # 17
    ((1, 1, 1), 1, 1, 1, 1),  # 18
    ((2, 2, 2), 2, 2, 2, 1),  # 19
    ((2, 2, 2), 1, 3, 2, 2),  # 20
    ((2, 2, 2), 2, 2, 2, 2),  # 21
    ((2, 2, 2), 2, 2, 2, 1),  # 22
    ((2, 2, 2), 3, 2, 2, 2),  # 23
    ((2, 2, 1), 2, 2, 2, 2),  # 24
    ((1, 1, 1), 1, 1, 1, 1),  # 25
    ((1, 1, 1), 1, 1, 1, 1),  # 26
    ((2, 3, 2), 2, 2, 2, 2),  # 27
    ((1, 1, 1), 1, 1, 1, 1),  # 28
    ((1, 1, 1), 1, 1, 1, 1),  # 29
    ((1, 1, 2), 1, 1, 2, 1),  # 30
    ((1, 1, 1), 1, 1, 1, 1),  # 31
    ((3, 3, 3), 3, 2, 3, 3),  # 32
    ((1, 1, 1), 1, 1, 1, 1),  # 33
    ((2, 2, 2), 2, 2, 2, 2),  # 34
    ((2, 2, 2), 3, 2, 3, 2),  # 35
    ((4, 3, 3), 4, 3, 4, 3),  # 36
    ((2, 2, 1), 2, 2, 3, 2),  # 37
    ((2, 3, 2), 3, 2, 3, 3),  # 38
    ((3, 3, 3), 3, 4, 3, 2),  # 39
    ((1, 1, 1), 1, 1, 1, 1),  # 40
    ((1, 1, 1), 1, 1, 1, 1),  # 41
    ((1, 2, 1), 2, 1, 1, 1),  # 42
    ((2, 3, 2), 2, 2, 2, 2),  # 43
    ((1, 2, 1), 1, 1, 1, 1),  # 44
    ((2, 2, 2), 2, 2, 2, 2),  # 45
]

LABELS = ["1", "2", "3", "4"]

# Table 3: estimated class probabilities (marginals) p_1..p_4.
PRIORS = [0.40, 0.42, 0.11, 0.07]

# Table 4: the final class of each patient, and the patients whose estimate is not (to 2 d.p.) certain.
# fmt: off
CLASSES = [1, 4, 2, 2, 2, 2, 1, 3, 2, 2, 4, 3, 1, 2, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 1, 1, 2, 1, 1, 1, 1, 3, 1, 2, 2, 4,
           2, 3, 3, 1, 1, 1, 2, 1, 2]
# fmt: on
UNCERTAIN = {7: {"1": 0.98, "2": 0.02}, 35: {"2": 0.95, "3": 0.05}, 38: {"2": 0.02, "3": 0.98}}

# Table 2: clinician 1's estimated error rates, row = true class, column = given class.
CLINICIAN_1 = [
    [0.89, 0.11, 0.00, 0.00],
    [0.07, 0.88, 0.05, 0.00],
    [0.00, 0.34, 0.66, 0.00],
    [0.00, 0.00, 0.56, 0.44],
]
# Table 2: clinician 3's (the rows show how unsure the paper's estimates for rare classes are).
CLINICIAN_3 = [
    [1.00, 0.00, 0.00, 0.00],
    [0.11, 0.79, 0.11, 0.00],
    [0.00, 0.40, 0.20, 0.40],
    [0.00, 0.00, 0.67, 0.33],
]


def votes() -> list[tuple[int, str, str]]:
    """(patient, clinician, class) triples; clinician 1 appears three times per patient."""
    out = []
    for patient, (first, *others) in enumerate(RATINGS, start=1):
        out += [(patient, "clinician 1", str(c)) for c in first]
        out += [(patient, f"clinician {n}", str(c)) for n, c in enumerate(others, start=2)]
    return out

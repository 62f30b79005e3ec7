"""Published reliability data, as printed in their sources (cited per dataset)."""
from __future__ import annotations

# Krippendorff, K. (2011). "Computing Krippendorff's Alpha-Reliability", Annenberg School for
# Communication, University of Pennsylvania, section A: binary data, two observers, no missing data.
# Printed: alpha = 0.095.
BINARY_TWO_OBSERVERS = [
    [0, 1, 0, 0, 0, 0, 0, 0, 1, 0],  # observer A, units 1..10
    [1, 1, 1, 0, 0, 1, 0, 0, 0, 0],  # observer B
]

# Krippendorff (2011), section B: nominal data, two observers (Ben and Gerry), no missing data,
# twelve units coded a..e. Printed: alpha = 0.692.
NOMINAL_TWO_OBSERVERS = {
    "Ben": ["a", "a", "b", "b", "d", "c", "c", "c", "e", "d", "d", "a"],
    "Gerry": ["b", "a", "b", "b", "b", "c", "c", "c", "e", "d", "d", "d"],
}

# Krippendorff (2011), section C: nominal data, any number of observers, missing data; the same matrix
# is reused in sections D (ordinal), E (interval) and F (ratio). Four observers, twelve units, None is a
# missing value (a "." in the paper). Printed: nominal 0.743, ordinal 0.815, interval 0.849, ratio 0.797.
FOUR_OBSERVERS_MISSING = [
    [1, 2, 3, 3, 2, 1, 4, 1, 2, None, None, None],  # observer A
    [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, None, 3],  # observer B
    [None, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, None],  # observer C
    [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, None],  # observer D
]
FOUR_OBSERVERS_ALPHA = {"nominal": 0.743, "ordinal": 0.815, "interval": 0.849, "ratio": 0.797}

# Fleiss, J. L. (1971). "Measuring nominal scale agreement among many raters", Psychological Bulletin
# 76(5), 378-382, Table 1: 30 patients, 6 psychiatrists each, 5 diagnoses, in the raw (patient x rater)
# form distributed as `diagnoses` in R's irr package and statsmodels' test suite (1 Depression,
# 2 Personality disorder, 3 Schizophrenia, 4 Neurosis, 5 Other). Printed: kappa = .430; category-wise
# kappas (Table 2) .245, .245, .520, .471, .566.
FLEISS_DIAGNOSES = [
    [4, 4, 4, 4, 4, 4], [2, 2, 2, 5, 5, 5], [2, 3, 3, 3, 3, 5], [5, 5, 5, 5, 5, 5], [2, 2, 2, 4, 4, 4],
    [1, 1, 3, 3, 3, 3], [3, 3, 3, 3, 5, 5], [1, 1, 3, 3, 3, 4], [1, 1, 4, 4, 4, 4], [5, 5, 5, 5, 5, 5],
    [1, 4, 4, 4, 4, 4], [1, 2, 4, 4, 4, 4], [2, 2, 2, 3, 3, 3], [1, 4, 4, 4, 4, 4], [2, 2, 4, 4, 4, 5],
    [3, 3, 3, 3, 3, 5], [1, 1, 1, 4, 5, 5], [1, 1, 1, 1, 1, 2], [2, 2, 4, 4, 4, 4], [1, 3, 3, 5, 5, 5],
    [5, 5, 5, 5, 5, 5], [2, 4, 4, 4, 4, 4], [2, 2, 4, 5, 5, 5], [1, 1, 4, 4, 4, 4], [1, 4, 4, 4, 4, 5],
    [2, 2, 2, 2, 2, 4], [1, 1, 1, 1, 5, 5], [2, 2, 4, 4, 4, 4], [1, 3, 3, 3, 3, 3], [5, 5, 5, 5, 5, 5],
]
FLEISS_DIAGNOSES_LABELS = ["depression", "personality disorder", "schizophrenia", "neurosis", "other"]
FLEISS_KAPPA = 0.430
FLEISS_CATEGORY_KAPPAS = [0.245, 0.245, 0.520, 0.471, 0.566]

# Wikipedia, "Fleiss' kappa", worked example: 10 subjects, 14 raters, 5 categories, as counts
# n_ij (raters who put subject i in category j). Printed: P-bar = 0.378, P-bar_e = 0.213, kappa = 0.210.
WIKIPEDIA_FLEISS_COUNTS = [
    [0, 0, 0, 0, 14],
    [0, 2, 6, 4, 2],
    [0, 0, 3, 5, 6],
    [0, 3, 9, 2, 0],
    [2, 2, 8, 1, 1],
    [7, 7, 0, 0, 0],
    [3, 2, 6, 3, 0],
    [2, 5, 3, 2, 2],
    [6, 5, 2, 1, 0],
    [0, 2, 2, 3, 7],
]


def votes_from_matrix(matrix, labels=None):
    """(observer x unit) reliability data → votes (unit, observer, label); None cells are missing."""
    return [
        (unit, f"observer {observer}", str(value) if labels is None else labels[value - 1])
        for observer, row in enumerate(matrix)
        for unit, value in enumerate(row)
        if value is not None
    ]


def votes_from_subject_rows(rows, labels):
    """(subject x rater) rows of 1-based category codes → votes."""
    return [(subject, f"rater {r}", labels[code - 1]) for subject, row in enumerate(rows) for r, code in enumerate(row)]


def votes_from_counts(counts, labels):
    """Fleiss-form counts → votes; raters are anonymous, so each vote gets its own position as rater."""
    votes = []
    for subject, row in enumerate(counts):
        position = 0
        for label, n in zip(labels, row, strict=True):
            for _ in range(n):
                votes.append((subject, f"rater {position}", label))
                position += 1
    return votes

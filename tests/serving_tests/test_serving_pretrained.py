"""A fine-tuned MiniLM run serves like a from-scratch one: predict answers the labels the run stored,
and its artifact tar is a Hugging Face model directory that ``transformers`` loads as it is."""
from __future__ import annotations

import io
import tarfile

import pytest
import torch

from tests import factories
from training.models import Prediction

from .conftest import train_vader_run

pytestmark = pytest.mark.slow

# One epoch on about 70 train texts: enough to check the plumbing, not the model.
MINILM_RUN = {"model": "minilm", "epochs": 1, "batch_size": 16, "max_length": 48, "device": "cpu", "threads": 1}


@pytest.fixture
def project(db):
    return factories.make_project(name="VADER movies", labels=("negative", "positive"))


def test_a_minilm_run_predicts_as_stored_and_its_tar_loads_with_transformers(client_for, project, manager,
                                                                          served_models, tmp_path):
    run = train_vader_run(project, manager, n=120, config=MINILM_RUN)
    client = client_for(manager)
    stored = list(Prediction.objects.filter(run=run).select_related("item").order_by("id"))
    texts = [p.item.text for p in stored]

    response = client.post(f"/api/v1/runs/{run.id}/predict", {"texts": texts}, format="json")
    assert response.status_code == 200, response.content
    answers = response.json()
    for prediction, answer in zip(stored, answers, strict=True):
        assert sum(answer["probabilities"].values()) == pytest.approx(1.0, abs=1e-5)
        assert answer["probabilities"][prediction.predicted] == pytest.approx(prediction.confidence, abs=1e-3)
    assert sum(a["label"] == p.predicted for a, p in zip(answers, stored, strict=True)) >= len(stored) - 1

    download = client.get(f"/api/v1/runs/{run.id}/artifact")
    assert download.status_code == 200
    with tarfile.open(fileobj=io.BytesIO(b"".join(download.streaming_content))) as tar:
        tar.extractall(tmp_path, filter="data")
    folder = tmp_path / f"datamoat-run-{run.id}"
    card = (folder / "README.md").read_text()
    assert "AutoModelForSequenceClassification.from_pretrained" in card and "- Model: `minilm`" in card
    assert "0. negative" in card and "1. positive" in card

    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    model = AutoModelForSequenceClassification.from_pretrained(str(folder), local_files_only=True).eval()
    tokenizer = AutoTokenizer.from_pretrained(str(folder), local_files_only=True)
    with torch.no_grad():
        batch = tokenizer(texts, padding=True, truncation=True, max_length=run.config["model"]["max_length"],
                          return_tensors="pt")
        probabilities = torch.softmax(model(**batch).logits, dim=-1)
    labels = [model.config.id2label[i] for i in probabilities.argmax(-1).tolist()]
    assert sum(label == a["label"] for label, a in zip(labels, answers, strict=True)) >= len(answers) - 1

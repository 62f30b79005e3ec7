"""A web process does not import torch until it serves a prediction: importing torch costs seconds of
CPU and hundreds of MB in every gunicorn worker, and most workers never predict."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_loading_the_app_and_its_urls_imports_no_torch():
    code = (
        "import sys, django\n"
        "django.setup()\n"
        "from django.urls import resolve\n"
        "import config.urls, config.wsgi\n"
        "assert resolve('/api/v1/runs/1/predict').func.view_class.__name__ == 'RunPredictApi'\n"
        "assert resolve('/api/v1/runs/1/artifact').func.view_class.__name__ == 'RunArtifactApi'\n"
        "import training.serving, training.serving_apis\n"
        "bad = sorted(n for n in sys.modules if n.split('.')[0] in ('torch', 'transformers', 'safetensors'))\n"
        "assert not bad, bad[:10]\n"
    )
    env = {"DJANGO_SETTINGS_MODULE": "config.settings.test", "PYTHONPATH": f"{REPO / 'platform'}:{REPO}",
           "PATH": "/usr/bin:/bin"}
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-2000:]

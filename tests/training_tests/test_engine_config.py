"""The engine's config dataclasses: defaults run, overrides are checked field by field."""
import pytest

from training.engine.config import ConfigError, RunConfig


def test_it_accepts_the_defaults():
    config = RunConfig.from_options({})
    assert config.model.d_model == 128 and config.train.device == "auto"


def test_it_maps_flat_api_options_onto_the_right_dataclass():
    config = RunConfig.from_options({"model": "transformer", "epochs": 5, "max_length": 32, "learning_rate": 1})
    assert (config.train.epochs, config.model.max_length, config.train.learning_rate) == (5, 32, 1.0)


def test_it_round_trips_through_its_nested_dict():
    config = RunConfig.from_options({"epochs": 2, "pooling": "mean"})
    assert RunConfig.from_options(config.to_dict()) == config


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"epochs": 0}, "epochs"),
        ({"epochs": 2.5}, "epochs"),
        ({"epochs": "3"}, "epochs"),
        ({"batch_size": True}, "batch_size"),
        ({"d_model": 30, "n_heads": 4}, "n_heads"),
        ({"pooling": "max"}, "pooling"),
        ({"device": "tpu"}, "device"),
        ({"learning_rate": 5.0}, "learning_rate"),
        ({"colour": "blue"}, "colour"),
        ({"model": "lstm"}, "model"),
    ],
)
def test_it_rejects_a_bad_option_by_name(options, field):
    with pytest.raises(ConfigError) as caught:
        RunConfig.from_options(options)
    assert field in caught.value.fields

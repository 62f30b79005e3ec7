"""Unknown ops and bad parameters fail before anything runs, naming the op and the parameter."""
import pytest

from cleaning.steps import REGISTRY, StepError, build_step, build_steps, describe_steps, normalized_spec


def test_it_names_an_unknown_op():
    with pytest.raises(StepError, match="unknown op 'dedupe'") as err:
        build_step({"op": "dedupe"})
    assert err.value.param == "op"


def test_it_names_an_unknown_parameter():
    with pytest.raises(StepError, match="near_dedup: unknown parameter 'treshold'") as err:
        build_step({"op": "near_dedup", "treshold": 0.8})
    assert (err.value.op, err.value.param) == ("near_dedup", "treshold")


@pytest.mark.parametrize(
    ("spec", "param"),
    [
        ({"op": "min_length"}, "min"),
        ({"op": "min_length", "min": "5"}, "min"),
        ({"op": "min_length", "min": True}, "min"),
        ({"op": "min_length", "min": -1}, "min"),
        ({"op": "min_length", "min": 3, "unit": "words"}, "unit"),
        ({"op": "near_dedup", "threshold": 1.5}, "threshold"),
        ({"op": "near_dedup", "shingle": "line"}, "shingle"),
        ({"op": "redact_pii", "types": ["ssn"]}, "types"),
        ({"op": "redact_pii", "phone_regions": ["XX"]}, "phone_regions"),
        ({"op": "language", "languages": []}, "languages"),
        ({"op": "language", "languages": ["English"]}, "languages"),
        ({"op": "normalize_whitespace", "nfc": "yes"}, "nfc"),
    ],
)
def test_it_names_a_bad_parameter(spec, param):
    with pytest.raises(StepError) as err:
        build_step(spec)
    assert err.value.param == param
    assert spec["op"] in err.value.message and param in err.value.message


def test_it_reports_which_step_of_a_list_is_bad():
    with pytest.raises(StepError) as err:
        build_steps([{"op": "normalize_whitespace"}, {"op": "max_length", "max": 0}])
    assert err.value.index == 1


def test_it_fills_in_defaults():
    assert normalized_spec(build_step({"op": "near_dedup"})) == {
        "op": "near_dedup", "threshold": 0.8, "shingle": "char", "ngram": None, "num_perm": 128,
            "fold_chinese": False,
    }


def test_every_op_is_described_for_the_ui():
    described = {entry["op"]: entry for entry in describe_steps()}
    assert set(described) == set(REGISTRY)
    assert {p["name"] for p in described["min_length"]["params"]} == {"min", "unit"}
    assert described["exact_dedup"]["whole_project"] is True

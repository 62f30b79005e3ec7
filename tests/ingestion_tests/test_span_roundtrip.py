"""CoNLL in, CoNLL out: the tokens and tags the import reads come back exactly from the spans it stores,
through the export's tokenizers (curation.exporters.bio). Pure: no database."""
from __future__ import annotations

from curation.exporters.bio import bio_tags
from ingestion.readers import read_chunks

from .test_span_readers import FILES, wnut_path


def file_sentences(path, separator=None):
    sentences, current = [], []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            token, tag = line.split(separator)
            current.append((token, tag.strip()))
        elif current:
            sentences.append(current)
            current = []
    return sentences + ([current] if current else [])


def imported(path, **options):
    return [record for chunk in read_chunks(path, format="conll", label_field="label", spans=True, **options)
            for _, record in chunk.records]


def test_the_wnut16_file_round_trips_token_for_token_and_tag_for_tag():
    expected = file_sentences(wnut_path(), "\t")
    records = imported(wnut_path())
    got = [list(zip(*bio_tags(r["text"], r["label"]["spans"], "whitespace"), strict=True)) for r in records]
    assert len(got) == len(expected) == 2394
    assert got == expected


def test_msra_bmes_tags_come_back_as_the_same_entities_in_bio():
    to_bio = {"B": "B", "M": "I", "E": "I", "S": "B"}
    expected = [[(t, g if g == "O" else f"{to_bio[g[0]]}{g[1:]}") for t, g in s]
                for s in file_sentences(FILES / "msra_test_excerpt.txt")]
    records = imported(FILES / "msra_test_excerpt.txt", tokens_joined_by="")
    got = [list(zip(*bio_tags(r["text"], r["label"]["spans"], "char"), strict=True)) for r in records]
    assert got == expected

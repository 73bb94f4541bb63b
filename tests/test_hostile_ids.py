"""Document ids stay unique whatever the records claim (issue 16, item 11): a record whose own id is one the reader
generated for an earlier duplicate ("a@wiki.jsonl:2") used to yield two documents, hence rows, with one id."""

from __future__ import annotations

import json

from corpus.config.recipe import load_recipe
from corpus.readers import Document, read_source
from tests.conftest import recipe_text

BODY = "Quốc hội là cơ quan đại biểu cao nhất của nhân dân, cơ quan quyền lực nhà nước cao nhất của nước ta."
SOURCE = '''
[[sources]]
name = "wiki"
paths = ["wiki.jsonl"]
format = "jsonl"
text_field = "body"
id_field = "id"
role = "clean"
license = "CC BY-SA 3.0"
'''


def documents(tmp_path, ids: list[str]) -> list[Document]:
    with (tmp_path / "wiki.jsonl").open("w", encoding="utf-8") as f:
        for k, i in enumerate(ids):
            f.write(json.dumps({"id": i, "body": f"{BODY} Bài số {k}."}, ensure_ascii=False) + "\n")
    (tmp_path / "recipe.toml").write_text(recipe_text(SOURCE), encoding="utf-8")
    source = load_recipe(tmp_path / "recipe.toml").sources[0]
    return [d for d in read_source(source) if isinstance(d, Document)]


def test_a_record_claiming_a_generated_id_gets_another(tmp_path):
    first = documents(tmp_path, ["a", "a"])
    generated = first[1].doc_id
    assert first[0].doc_id == "a" and generated != "a"
    again = documents(tmp_path, ["a", "a", generated, generated, "b"])
    ids = [d.doc_id for d in again]
    assert len(set(ids)) == len(ids) == 5, ids
    assert ids[:2] == ["a", generated] and ids[4] == "b"  # earlier documents keep the ids they had


def test_text_document_ids_do_not_depend_on_where_the_files_sit(tmp_path):
    """A text file's id is its path below the fixed folders of its pattern: the same corpus read through
    `../../shared/corpora/luat/*.txt` or `kho/luat/**/*.txt` gives the same ids, hence the same splits."""
    text = "Điều 1. Phạm vi điều chỉnh\nBộ luật này quy định địa vị pháp lý, chuẩn mực pháp lý cho cách ứng xử.\n"
    ids = []
    for folder, pattern in (("a/b/luat", "a/b/luat/*.txt"), ("kho/luat", "kho/luat/**/*.txt"),
                            ("luat", "../recipe-dir/luat/*.txt")):
        root = tmp_path / folder.split("/")[0] / "x"
        base = root.parent if not pattern.startswith("..") else tmp_path / "recipe-dir"
        where = base / (folder if not pattern.startswith("..") else "luat")
        (where / "bo-luat").mkdir(parents=True, exist_ok=True)
        (where / "dan-su.txt").write_text(text, encoding="utf-8")
        (where / "bo-luat" / "hinh-su.txt").write_text(text, encoding="utf-8")
        source = SOURCE.replace('"wiki.jsonl"', f'"{pattern}", "{pattern.replace("*.txt", "*/*.txt")}"') \
            .replace('format = "jsonl"', 'format = "text"')
        (base / "recipe.toml").write_text(recipe_text(source), encoding="utf-8")
        documents_read = read_source(load_recipe(base / "recipe.toml").sources[0])
        ids.append(sorted({d.doc_id for d in documents_read if isinstance(d, Document)}))
    assert ids[0] == ["bo-luat/hinh-su", "dan-su"], ids
    assert ids[1] == ids[2] == ids[0]

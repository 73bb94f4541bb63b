"""The test Hub (tests/hub_server.py) against the real huggingface_hub and datasets clients."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys

import httpx2
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from huggingface_hub import CommitOperationAdd, CommitOperationDelete, HfApi
from huggingface_hub.errors import (
    EntryNotFoundError,
    HfHubHTTPError,
    RepositoryNotFoundError,
    RevisionNotFoundError,
)

from hub_server import hub  # noqa: F401  (fixture)

REPO = "vi-test/despin-pairs"

ROWS_V1_TRAIN = [
    {"clean": "Các cơ quan nhà nước phải công khai.", "noisy": "Những cơ quan nhà nước phải công khai ."},
    {"clean": "Quốc hội là cơ quan đại biểu cao nhất của Nhân dân.",
     "noisy": "Quốc hội là cơ quan đại diện cao nhất của nhân dân ."},
    {"clean": "Mọi người có quyền tự do kinh doanh.", "noisy": "Tất cả mọi người có quyền tự do làm ăn ."},
]
ROWS_V1_TEST = [
    {"clean": "Công dân có quyền bầu cử.", "noisy": "Người dân có quyền bỏ phiếu bầu cử ."},
]
ROWS_V2_TRAIN_A = ROWS_V1_TRAIN[:2] + [
    {"clean": "Nhà nước bảo hộ quyền sở hữu trí tuệ.", "noisy": "Nhà nước bảo vệ quyền sở hữu trí tuệ ."},
]
ROWS_V2_TRAIN_B = [
    {"clean": "Tòa án nhân dân là cơ quan xét xử.", "noisy": "Toà án nhân dân là cơ quan phán xử ."},
]
ROWS_V2_TEST = ROWS_V1_TEST + [
    {"clean": "Hiến pháp là luật cơ bản của nhà nước.", "noisy": "Hiến pháp là bộ luật cơ bản của đất nước ."},
]


def parquet_bytes(rows: list[dict]) -> bytes:
    buf = io.BytesIO()
    pq.write_table(pa.Table.from_pylist(rows), buf)
    return buf.getvalue()


def readme(version: str, train_files: list[str]) -> bytes:
    return f"""---
language:
- vi
pretty_name: Test pairs
configs:
- config_name: default
  data_files:
  - split: train
    path: data/train-*.parquet
  - split: test
    path: data/test-*.parquet
---
# Test pairs {version}

Train shards: {", ".join(train_files)}.
""".encode()


def publish_v1(api: HfApi) -> str:
    api.create_repo(REPO, repo_type="dataset", exist_ok=True)
    head = api.repo_info(REPO, repo_type="dataset").sha
    info = api.create_commit(
        REPO,
        repo_type="dataset",
        operations=[
            CommitOperationAdd("README.md", readme("0.1.0", ["train-00000-of-00001"])),
            CommitOperationAdd("data/train-00000-of-00001.parquet", parquet_bytes(ROWS_V1_TRAIN)),
            CommitOperationAdd("data/test-00000-of-00001.parquet", parquet_bytes(ROWS_V1_TEST)),
        ],
        commit_message="Release v0.1.0",
        parent_commit=head,
    )
    api.create_tag(REPO, tag="v0.1.0", revision=info.oid, repo_type="dataset", tag_message="v0.1.0")
    return info.oid


def v2_operations() -> list:
    return [
        CommitOperationAdd("README.md", readme("0.2.0", ["train-00000-of-00002", "train-00001-of-00002"])),
        CommitOperationAdd("data/train-00000-of-00002.parquet", parquet_bytes(ROWS_V2_TRAIN_A)),
        CommitOperationAdd("data/train-00001-of-00002.parquet", parquet_bytes(ROWS_V2_TRAIN_B)),
        CommitOperationAdd("data/test-00000-of-00001.parquet", parquet_bytes(ROWS_V2_TEST)),
        CommitOperationDelete("data/train-00000-of-00001.parquet"),
    ]


def load_rows(revision: str, cache_dir) -> dict[str, list[dict]]:
    import datasets

    dsd = datasets.load_dataset(REPO, revision=revision, cache_dir=str(cache_dir))
    return {split: dsd[split].to_list() for split in dsd}


# 1 + 2 --------------------------------------------------------------------------------------------------------------


def test_publish_tag_and_load_each_version(hub, tmp_path):
    api = HfApi()  # no endpoint / token given: both must come from the fixture's environment patching
    assert api.endpoint == hub.url

    url1 = api.create_repo(REPO, repo_type="dataset", exist_ok=True)
    url2 = api.create_repo(REPO, repo_type="dataset", exist_ok=True)
    assert url1 == url2 == f"{hub.url}/datasets/{REPO}"
    with pytest.raises(HfHubHTTPError) as exc:
        api.create_repo(REPO, repo_type="dataset")
    assert exc.value.response.status_code == 409
    assert api.list_repo_files(REPO, repo_type="dataset") == [".gitattributes"]  # the Hub's "initial commit"

    v1 = publish_v1(api)
    repo = hub.state.repo(REPO)
    assert repo.head() == v1 and len(repo.commits) == 2
    commit_requests = hub.state.requests_matching("POST", r"/commit/")
    assert len(commit_requests) == 1  # one atomic commit for README + 2 shards

    refs = api.list_repo_refs(REPO, repo_type="dataset")
    assert [(b.name, b.target_commit) for b in refs.branches] == [("main", v1)]
    assert [(t.name, t.ref, t.target_commit) for t in refs.tags] == [("v0.1.0", "refs/tags/v0.1.0", v1)]
    with pytest.raises(HfHubHTTPError) as exc:
        api.create_tag(REPO, tag="v0.1.0", revision=v1, repo_type="dataset")
    assert exc.value.response.status_code == 409
    api.create_tag(REPO, tag="v0.1.0", revision=v1, repo_type="dataset", exist_ok=True)

    info = api.dataset_info(REPO, revision="v0.1.0")
    assert info.sha == v1 and info.id == REPO and info.private is False and info.last_modified is not None
    assert sorted(s.rfilename for s in info.siblings) == [
        ".gitattributes", "README.md", "data/test-00000-of-00001.parquet", "data/train-00000-of-00001.parquet"]
    assert info.card_data.pretty_name == "Test pairs"

    assert load_rows("v0.1.0", tmp_path / "c1") == {"train": ROWS_V1_TRAIN, "test": ROWS_V1_TEST}

    # Second release: new shards, a changed one, a deleted one, all in one commit.
    v2 = api.create_commit(REPO, repo_type="dataset", operations=v2_operations(),
                           commit_message="Release v0.2.0", parent_commit=v1).oid
    api.create_tag(REPO, tag="v0.2.0", revision=v2, repo_type="dataset")
    assert api.list_repo_files(REPO, repo_type="dataset", revision="v0.2.0") == [
        ".gitattributes", "README.md", "data/test-00000-of-00001.parquet",
        "data/train-00000-of-00002.parquet", "data/train-00001-of-00002.parquet"]
    assert "data/train-00000-of-00001.parquet" in api.list_repo_files(REPO, repo_type="dataset", revision="v0.1.0")
    refs = api.list_repo_refs(REPO, repo_type="dataset")
    assert {t.name: t.target_commit for t in refs.tags} == {"v0.1.0": v1, "v0.2.0": v2}

    assert load_rows("v0.2.0", tmp_path / "c2") == {"train": ROWS_V2_TRAIN_A + ROWS_V2_TRAIN_B, "test": ROWS_V2_TEST}
    assert load_rows("v0.1.0", tmp_path / "c3") == {"train": ROWS_V1_TRAIN, "test": ROWS_V1_TEST}
    assert load_rows("main", tmp_path / "c4")["train"] == ROWS_V2_TRAIN_A + ROWS_V2_TRAIN_B

    # The server's view agrees.
    assert hub.state.repo(REPO).files("v0.1.0")["data/train-00000-of-00001.parquet"] == parquet_bytes(ROWS_V1_TRAIN)
    assert [c.summary for c in hub.state.repo(REPO).history("v0.2.0")] == [
        "Release v0.2.0", "Release v0.1.0", "initial commit"]
    commits = api.list_repo_commits(REPO, repo_type="dataset")
    assert [c.commit_id for c in commits[:2]] == [v2, v1]


def test_reads_and_not_found_errors(hub, tmp_path):
    api = hub.api()
    v1 = publish_v1(api)

    with pytest.raises(RevisionNotFoundError):
        api.dataset_info(REPO, revision="refs/convert/parquet")
    with pytest.raises(RevisionNotFoundError):
        api.dataset_info(REPO, revision="v9.9.9")
    with pytest.raises(RepositoryNotFoundError):
        api.dataset_info("vi-test/nope")
    with pytest.raises(EntryNotFoundError):
        api.hf_hub_download(REPO, "missing.txt", repo_type="dataset", revision="v0.1.0", cache_dir=tmp_path)
    path = api.hf_hub_download(REPO, "README.md", repo_type="dataset", revision="v0.1.0", cache_dir=tmp_path)
    assert open(path, "rb").read() == readme("0.1.0", ["train-00000-of-00001"])
    assert v1 in path  # the cache is keyed by the X-Repo-Commit header

    # Tree listing, non-recursive and paginated, and paths-info.
    hub.state.tree_page_size = 1
    entries = list(api.list_repo_tree(REPO, "data", repo_type="dataset", revision="v0.1.0"))
    assert [e.path for e in entries] == ["data/test-00000-of-00001.parquet", "data/train-00000-of-00001.parquet"]
    assert len(hub.state.requests_matching("GET", r"/tree/")) == 2
    hub.state.tree_page_size = 1000
    infos = api.get_paths_info(REPO, ["README.md", "data", "nope"], repo_type="dataset", revision=v1, expand=True)
    assert [(type(i).__name__, i.path) for i in infos] == [("RepoFile", "README.md"), ("RepoFolder", "data")]
    assert infos[0].last_commit.oid == v1

    # HfFileSystem (what datasets uses for hf:// paths), including ranged reads.
    from huggingface_hub import HfFileSystem

    fs = HfFileSystem()
    assert sorted(fs.glob(f"datasets/{REPO}@v0.1.0/data/train-*.parquet")) == [
        f"datasets/{REPO}@v0.1.0/data/train-00000-of-00001.parquet"]
    with fs.open(f"datasets/{REPO}@v0.1.0/README.md", "rb", block_size=8) as f:
        f.seek(4)
        assert f.read(8) == readme("0.1.0", ["x"])[4:12]
    assert any(r.headers.get("range") for r in hub.state.requests_matching("GET", r"/resolve/"))

    # whoami and private repos.
    assert api.whoami()["name"] == "test-user"
    api.create_repo("vi-test/private", repo_type="dataset", private=True)
    assert hub.state.repo("vi-test/private").private
    assert api.dataset_info("vi-test/private").private is True
    with pytest.raises(RepositoryNotFoundError):
        HfApi(endpoint=hub.url, token=False).dataset_info("vi-test/private")

    # README metadata that is not YAML is refused before anything is uploaded (POST /api/validate-yaml).
    n = len(hub.state.repo(REPO).commits)
    with pytest.raises(ValueError, match="Invalid metadata in README.md"):
        api.create_commit(REPO, repo_type="dataset", commit_message="bad card",
                          operations=[CommitOperationAdd("README.md", b"---\nconfigs: [unclosed\n---\n")])
    assert len(hub.state.repo(REPO).commits) == n and not hub.state.requests_matching("POST", r"/preupload/")[1:]


# 3 ------------------------------------------------------------------------------------------------------------------


def test_stale_parent_commit_is_412_and_changes_nothing(hub):
    api = hub.api()
    v1 = publish_v1(api)
    stale = hub.state.repo(REPO).history()[1].oid  # the initial commit
    before = hub.state.repo(REPO).files()

    with pytest.raises(HfHubHTTPError) as exc:
        api.create_commit(REPO, repo_type="dataset", operations=v2_operations(),
                          commit_message="Release v0.2.0", parent_commit=stale)
    assert exc.value.response.status_code == 412
    assert "A commit has happened since" in str(exc.value)

    repo = hub.state.repo(REPO)
    assert repo.head() == v1 and len(repo.commits) == 2 and repo.files() == before


# 4 ------------------------------------------------------------------------------------------------------------------


def test_bad_token_is_401_and_tokens_only_travel_in_the_authorization_header(hub):
    api = hub.api()
    publish_v1(api)
    bad = "hf_wrongtoken0123456789"

    with pytest.raises(HfHubHTTPError) as exc:
        HfApi(endpoint=hub.url, token=bad).create_commit(
            REPO, repo_type="dataset", operations=v2_operations(), commit_message="nope")
    assert exc.value.response.status_code == 401
    with pytest.raises(HfHubHTTPError) as exc:
        HfApi(endpoint=hub.url, token=bad).create_repo("vi-test/other", repo_type="dataset", exist_ok=True)
    assert exc.value.response.status_code == 401
    assert not hub.state.has_repo("vi-test/other")
    assert len(hub.state.repo(REPO).commits) == 2

    # A write without any token is refused too.
    with pytest.raises(HfHubHTTPError) as exc:
        HfApi(endpoint=hub.url, token=False).create_tag(REPO, tag="v9", repo_type="dataset")
    assert exc.value.response.status_code == 401

    seen = {hub.token: 0, bad: 0}
    for r in hub.state.requests:
        for token in seen:
            assert token not in r.path
            assert token.encode() not in r.body
            assert all(token not in v for k, v in r.headers.items() if k != "authorization")
            if r.authorization and token in r.authorization:
                assert r.authorization == f"Bearer {token}"
                seen[token] += 1
    assert seen[hub.token] >= 5 and seen[bad] >= 1
    assert all(r.status == 401 for r in hub.state.requests if r.authorization == f"Bearer {bad}")


# 5 ------------------------------------------------------------------------------------------------------------------


def test_injected_500_on_commit_is_not_retried_by_the_client(hub):
    api = hub.api()
    v1 = publish_v1(api)
    hub.state.fail_next("POST", r"/api/datasets/.+/commit/", status=500)

    with pytest.raises(HfHubHTTPError) as exc:
        api.create_commit(REPO, repo_type="dataset", operations=v2_operations(),
                          commit_message="Release v0.2.0", parent_commit=v1)
    assert exc.value.response.status_code == 500
    # create_commit POSTs /commit once (no backoff): one attempt recorded, no new commit, fault consumed.
    attempts = hub.state.requests_matching("POST", r"/commit/")
    assert [(r.fault, r.status) for r in attempts[1:]] == [("status:500", 500)]
    assert hub.state.repo(REPO).head() == v1 and not hub.state.faults

    # Retrying by hand works, and the data of the failed attempt is all there.
    v2 = api.create_commit(REPO, repo_type="dataset", operations=v2_operations(),
                           commit_message="Release v0.2.0", parent_commit=v1).oid
    assert hub.state.repo(REPO).head() == v2


def test_injected_500_on_preupload_is_retried_by_the_client(hub):
    api = hub.api()
    v1 = publish_v1(api)
    hub.state.fail_next("POST", r"/preupload/", status=503)

    v2 = api.create_commit(REPO, repo_type="dataset", operations=v2_operations(),
                           commit_message="Release v0.2.0", parent_commit=v1).oid
    attempts = hub.state.requests_matching("POST", r"/preupload/")[1:]
    assert [r.status for r in attempts] == [503, 200]  # http_backoff: retried after ~1 s
    assert hub.state.repo(REPO).head() == v2


def test_dropped_connection_raises_and_leaves_no_commit(hub):
    api = hub.api()
    v1 = publish_v1(api)
    hub.state.drop_next("POST", r"/commit/")

    with pytest.raises(httpx2.TransportError) as exc:
        api.create_commit(REPO, repo_type="dataset", operations=v2_operations(),
                          commit_message="Release v0.2.0", parent_commit=v1)
    assert isinstance(exc.value, httpx2.RemoteProtocolError)  # "Server disconnected without sending a response."
    assert hub.state.requests_matching("POST", r"/commit/")[-1].status is None
    assert hub.state.repo(REPO).head() == v1 and len(hub.state.repo(REPO).commits) == 2

    # The client's connection pool recovers.
    assert api.list_repo_refs(REPO, repo_type="dataset").branches[0].target_commit == v1


def test_dropped_response_after_the_commit_landed(hub):
    """The commit is applied but the client never hears of it: retrying with the same parent_commit is a 412,
    and the repo holds exactly one new commit."""
    api = hub.api()
    v1 = publish_v1(api)
    hub.state.drop_next("POST", r"/commit/", after_apply=True)

    with pytest.raises(httpx2.TransportError):
        api.create_commit(REPO, repo_type="dataset", operations=v2_operations(),
                          commit_message="Release v0.2.0", parent_commit=v1)
    repo = hub.state.repo(REPO)
    assert repo.head() != v1 and len(repo.commits) == 3
    with pytest.raises(HfHubHTTPError) as exc:
        api.create_commit(REPO, repo_type="dataset", operations=v2_operations(),
                          commit_message="Release v0.2.0", parent_commit=v1)
    assert exc.value.response.status_code == 412
    assert len(repo.commits) == 3


def test_report_remote_oids_lets_the_client_skip_unchanged_files(hub):
    api = hub.api()
    v1 = publish_v1(api)
    hub.state.report_remote_oids = True  # what huggingface.co does
    same = [
        CommitOperationAdd("README.md", readme("0.1.0", ["train-00000-of-00001"])),
        CommitOperationAdd("data/test-00000-of-00001.parquet", parquet_bytes(ROWS_V1_TEST)),
    ]
    info = api.create_commit(REPO, repo_type="dataset", operations=same, commit_message="noop", parent_commit=v1)
    assert info.oid == v1  # no commit made: the client found nothing changed
    assert not hub.state.requests_matching("POST", r"/commit/")[1:]


# subprocess ---------------------------------------------------------------------------------------------------------


def test_subprocess_clients_inherit_the_environment(hub):
    v1 = publish_v1(hub.api())
    code = (
        "import json, huggingface_hub as h;"
        f"r = h.HfApi().list_repo_refs({REPO!r}, repo_type='dataset');"
        "print(json.dumps([h.constants.ENDPOINT, [(t.name, t.target_commit) for t in r.tags]]))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=os.environ, check=True)
    endpoint, tags = json.loads(out.stdout)
    assert endpoint == hub.url and tags == [["v0.1.0", v1]]
    assert hub.state.requests[-1].authorization == f"Bearer {hub.token}"

"""A small in-memory Hugging Face Hub for tests: enough of the HTTP API for the real clients.

`huggingface_hub` (create_repo, create_commit, create_tag, delete_tag, list_repo_refs, repo_info/dataset_info,
list_repo_files/list_repo_tree, get_paths_info, list_repo_commits, hf_hub_download, whoami, HfFileSystem) and
`datasets.load_dataset("ns/name", revision=...)` talk to it as they would to huggingface.co.  Standard library only
(PyYAML, always installed with the clients, is used if present to fill `cardData`).

Usage from a test (the `hub` fixture is defined at the bottom of this file)::

    from hub_server import hub  # noqa: F401  (pytest picks up the fixture)

    def test_x(hub):
        HfApi().create_repo("ns/name", repo_type="dataset")   # HF_ENDPOINT / HF_TOKEN already point at `hub`
        hub.state.fail_next("POST", r"/commit/", status=500)  # the next commit answers 500
        hub.state.drop_next("POST", r"/commit/")              # the next commit: socket closed, no response
        hub.state.repo("ns/name").files("v0.1.0")             # {path: bytes} at a branch, tag or commit oid

State model: each repo is an ordered dict of commits (oid -> Commit holding the *full* file tree after the commit),
branches {name: oid} (only "main" is created), tags {name: oid}.  A commit applies all its operations to a copy
of the parent tree and swaps the branch head under one lock, so it is atomic.  Like the real Hub, a new repo
starts with an "initial commit" holding `.gitattributes` (pass `initial_commit=False` to HubState to skip it).
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import json
import os
import re
import secrets
import socket
import sys
import threading
from dataclasses import dataclass, field
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Iterable
from urllib.parse import parse_qs, quote, unquote, urlencode, urlsplit

import pytest

DEFAULT_USER = "test-user"
INVALID_CREDENTIALS = "Invalid credentials in Authorization header"
COMMIT_CONFLICT = "A commit has happened since. Please refresh and try again."

# What huggingface.co puts in the initial commit of a new repo (abridged).
GITATTRIBUTES = b"""*.7z filter=lfs diff=lfs merge=lfs -text
*.arrow filter=lfs diff=lfs merge=lfs -text
*.bin filter=lfs diff=lfs merge=lfs -text
*.gz filter=lfs diff=lfs merge=lfs -text
*.parquet filter=lfs diff=lfs merge=lfs -text
*.zip filter=lfs diff=lfs merge=lfs -text
*.zst filter=lfs diff=lfs merge=lfs -text
"""

_REPO_TYPES = {"models": "model", "datasets": "dataset", "spaces": "space"}
_URL_PREFIX = {"model": "", "dataset": "datasets/", "space": "spaces/"}
_OID_RE = re.compile(r"^[0-9a-f]{40}$")


def git_blob_oid(data: bytes) -> str:
    """The git blob id of `data` (what the Hub reports as a regular file's oid and ETag)."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


# ----------------------------------------------------------------------------------------------------------------
# State
# ----------------------------------------------------------------------------------------------------------------


@dataclass
class Commit:
    oid: str
    parent: str | None
    summary: str
    description: str
    tree: dict[str, bytes]  # full file tree after this commit
    date: str
    author: str


@dataclass
class Repo:
    repo_type: str
    repo_id: str
    private: bool
    created_at: str
    commits: dict[str, Commit] = field(default_factory=dict)  # oid -> commit, in creation order
    branches: dict[str, str] = field(default_factory=dict)  # name -> oid
    tags: dict[str, str] = field(default_factory=dict)  # name -> oid
    tag_messages: dict[str, str] = field(default_factory=dict)

    def resolve(self, rev: str | None) -> str | None:
        """Commit oid for a branch, a tag, refs/heads/X, refs/tags/X or a full commit oid; None if unknown."""
        rev = rev or "main"
        if rev in self.branches:
            return self.branches[rev]
        if rev in self.tags:
            return self.tags[rev]
        if rev.startswith("refs/heads/") and rev[len("refs/heads/"):] in self.branches:
            return self.branches[rev[len("refs/heads/"):]]
        if rev.startswith("refs/tags/") and rev[len("refs/tags/"):] in self.tags:
            return self.tags[rev[len("refs/tags/"):]]
        if _OID_RE.match(rev) and rev in self.commits:
            return rev
        return None

    def head(self, branch: str = "main") -> str:
        return self.branches[branch]

    def commit_at(self, rev: str = "main") -> Commit:
        oid = self.resolve(rev)
        if oid is None:
            raise KeyError(f"unknown revision {rev!r} in {self.repo_id}")
        return self.commits[oid]

    def files(self, rev: str = "main") -> dict[str, bytes]:
        """A copy of the file tree at `rev` (branch, tag or commit oid)."""
        return dict(self.commit_at(rev).tree)

    def history(self, rev: str = "main") -> list[Commit]:
        """Commits reachable from `rev`, newest first."""
        out, oid = [], self.resolve(rev)
        while oid is not None:
            commit = self.commits[oid]
            out.append(commit)
            oid = commit.parent
        return out

    @property
    def url_prefix(self) -> str:
        return _URL_PREFIX[self.repo_type]


@dataclass
class RecordedRequest:
    method: str
    path: str  # raw request target, query string included
    headers: dict[str, str]  # lower-case names
    body: bytes = b""
    status: int | None = None  # None when the connection was dropped
    fault: str | None = None  # "status:500", "drop", ... when a fault hook fired

    @property
    def body_size(self) -> int:
        return len(self.body)

    @property
    def authorization(self) -> str | None:
        return self.headers.get("authorization")


@dataclass
class Fault:
    method: str | None
    pattern: re.Pattern
    action: str  # "status" or "drop"
    remaining: int
    status: int = 500
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    after_apply: bool = False  # True: really process the request, then answer with the fault
    read_body: bool = True  # drop only: False closes the socket before reading the request body

    def matches(self, method: str, path: str) -> bool:
        return (self.method is None or self.method.upper() == method) and self.pattern.search(path) is not None


class HubState:
    """Everything the server knows; safe to inspect and mutate from tests (take `lock` for multi-step reads)."""

    def __init__(
        self, tokens: Iterable[str] = (), user: str = DEFAULT_USER, initial_commit: bool = True
    ) -> None:
        self.lock = threading.RLock()
        self.tokens: set[str] = set(tokens)
        self.user = user
        self.initial_commit = initial_commit
        self.repos: dict[tuple[str, str], Repo] = {}
        self.requests: list[RecordedRequest] = []
        self.faults: list[Fault] = []
        self.url = ""  # set by HubServer.start()
        # Answer preupload with the git oid of the file already at that path (what huggingface.co does): the client
        # then drops unchanged files from the commit, and skips the commit entirely if nothing changed.
        self.report_remote_oids = False
        self.tree_page_size = 1000  # /tree/ pagination (50 when expand=True, capped by this)
        self._counter = itertools.count(1)

    # -- repos and commits, also usable to seed state directly from a test ----------------------------------------

    def repo(self, repo_id: str, repo_type: str = "dataset") -> Repo:
        with self.lock:
            return self.repos[(repo_type, repo_id)]

    def has_repo(self, repo_id: str, repo_type: str = "dataset") -> bool:
        with self.lock:
            return (repo_type, repo_id) in self.repos

    def create_repo(self, repo_id: str, repo_type: str = "dataset", private: bool = False) -> Repo:
        with self.lock:
            if (repo_type, repo_id) in self.repos:
                raise KeyError(f"{repo_type} {repo_id} exists")
            repo = Repo(repo_type=repo_type, repo_id=repo_id, private=private, created_at=_now())
            self.repos[(repo_type, repo_id)] = repo
            tree = {".gitattributes": GITATTRIBUTES} if self.initial_commit else {}
            commit = self._new_commit(repo, None, "initial commit", "", tree, author="system")
            repo.branches["main"] = commit.oid
            return repo

    def commit(
        self,
        repo_id: str,
        add: dict[str, bytes] | None = None,
        delete: Iterable[str] = (),
        message: str = "seed",
        repo_type: str = "dataset",
        branch: str = "main",
    ) -> str:
        """Commit directly (no HTTP); returns the new oid."""
        with self.lock:
            repo = self.repo(repo_id, repo_type)
            parent = repo.commits[repo.branches[branch]]
            tree = dict(parent.tree)
            for path in delete:
                del tree[path]
            tree.update(add or {})
            commit = self._new_commit(repo, parent.oid, message, "", tree, author=self.user)
            repo.branches[branch] = commit.oid
            return commit.oid

    def _new_commit(
        self, repo: Repo, parent: str | None, summary: str, description: str, tree: dict[str, bytes], author: str
    ) -> Commit:
        h = hashlib.sha1()
        salt = f"{repo.repo_type}\0{repo.repo_id}\0{parent}\0{summary}\0{description}\0{next(self._counter)}\0"
        h.update(salt.encode())
        for path in sorted(tree):
            h.update(f"{path}\0{git_blob_oid(tree[path])}\0".encode())
        commit = Commit(h.hexdigest(), parent, summary, description, tree, _now(), author)
        repo.commits[commit.oid] = commit
        return commit

    # -- fault injection ------------------------------------------------------------------------------------------

    def fail_next(
        self,
        method: str | None,
        path: str,
        status: int = 500,
        times: int = 1,
        body: Any = None,
        headers: dict[str, str] | None = None,
        after_apply: bool = False,
    ) -> Fault:
        """Answer the next `times` requests whose method matches and whose raw path `re.search`-es `path` with
        `status` (JSON body `body`, default {"error": "Injected fault: HTTP <status>"}).  The request is not
        processed unless `after_apply` (then it is processed and its real response replaced)."""
        fault = Fault(method, re.compile(path), "status", times, status, body, dict(headers or {}), after_apply)
        with self.lock:
            self.faults.append(fault)
        return fault

    def drop_next(
        self, method: str | None, path: str, times: int = 1, after_apply: bool = False, read_body: bool = True
    ) -> Fault:
        """Close the socket without any response for the next `times` matching requests.  By default the body is
        read and the request is NOT processed; `after_apply=True` processes it first (e.g. the commit lands but
        the client never hears of it); `read_body=False` closes before reading the body."""
        fault = Fault(method, re.compile(path), "drop", times, after_apply=after_apply, read_body=read_body)
        with self.lock:
            self.faults.append(fault)
        return fault

    def clear_faults(self) -> None:
        with self.lock:
            self.faults.clear()

    def _take_fault(self, method: str, path: str) -> Fault | None:
        with self.lock:
            for fault in self.faults:
                if fault.remaining > 0 and fault.matches(method, path):
                    fault.remaining -= 1
                    if fault.remaining == 0:
                        self.faults.remove(fault)
                    return fault
        return None

    # -- request log ----------------------------------------------------------------------------------------------

    def requests_matching(self, method: str | None = None, path: str = "") -> list[RecordedRequest]:
        pattern = re.compile(path)
        with self.lock:
            return [
                r for r in self.requests
                if (method is None or r.method == method.upper()) and pattern.search(r.path)
            ]

    def clear_requests(self) -> None:
        with self.lock:
            self.requests.clear()


# ----------------------------------------------------------------------------------------------------------------
# HTTP
# ----------------------------------------------------------------------------------------------------------------


@dataclass
class Response:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


def _json(status: int, payload: Any, headers: dict[str, str] | None = None) -> Response:
    return Response(status, json.dumps(payload).encode(), {"Content-Type": "application/json", **(headers or {})})


def _error(status: int, message: str, code: str | None = None, **headers: str) -> Response:
    extra = {"X-Error-Message": message, **headers}
    if code is not None:
        extra["X-Error-Code"] = code
    return _json(status, {"error": message}, extra)


class _HubError(Exception):
    def __init__(self, response: Response) -> None:
        self.response = response


def _take_rev(segs: list[str]) -> tuple[str, list[str]]:
    """Split a (possibly unquoted) revision off the front of path segments: 'refs/convert/x' and 'refs/pr/N'
    may arrive as three segments (HfFileSystem does not quote them)."""
    if not segs or not segs[0]:
        raise _HubError(_error(400, "Missing revision"))
    if segs[0] == "refs" and len(segs) >= 3:
        return "/".join(segs[:3]), segs[3:]
    return segs[0], segs[1:]


def _valid_path(path: str) -> bool:
    parts = path.split("/")
    return bool(path) and not path.startswith("/") and all(p not in ("", ".", "..") for p in parts)


def _front_matter(text: str) -> str | None:
    m = re.match(r"^---[ \t]*\r?\n(.*?)^---[ \t]*(\r?\n|$)", text, re.S | re.M)
    return m.group(1) if m else None


def _card_data(readme: bytes | None) -> dict | None:
    """README.md YAML metadata as a dict, if PyYAML is available and the metadata parses."""
    front = None if readme is None else _front_matter(readme.decode("utf-8", errors="replace"))
    if front is None:
        return None
    try:
        import yaml  # installed with huggingface_hub; optional here
    except ImportError:
        return None
    try:
        data = yaml.safe_load(front)
    except Exception:
        return None
    return data if isinstance(data, dict) else None


class _Router:
    def __init__(self, state: HubState) -> None:
        self.state = state

    # -- entry point ----------------------------------------------------------------------------------------------

    def dispatch(self, method: str, target: str, headers: dict[str, str], body: bytes, host: str) -> Response:
        split = urlsplit(target)
        segs = [unquote(s) for s in split.path.split("/")[1:]]
        while len(segs) > 1 and segs[-1] == "":
            segs.pop()
        query = parse_qs(split.query, keep_blank_values=True)
        auth = headers.get("authorization")
        authed = False
        if auth is not None:
            token = auth[7:].strip() if auth.lower().startswith("bearer ") else None
            if token not in self.state.tokens:
                return _error(401, INVALID_CREDENTIALS)
            authed = True
        ctx = _Ctx(method, split.path, query, headers, body, authed, host)
        try:
            if segs and segs[0] == "api":
                return self._api(ctx, segs[1:])
            return self._resolve(ctx, segs)
        except _HubError as e:
            return e.response

    # -- helpers --------------------------------------------------------------------------------------------------

    def _require_auth(self, ctx: _Ctx) -> None:
        if not ctx.authed:
            raise _HubError(_error(401, INVALID_CREDENTIALS))

    def _get_repo(self, ctx: _Ctx, repo_type: str, repo_id: str) -> Repo:
        repo = self.state.repos.get((repo_type, repo_id))
        if repo is None or (repo.private and not ctx.authed):
            raise _HubError(_error(404, "Repository not found", "RepoNotFound"))
        return repo

    def _get_oid(self, repo: Repo, rev: str) -> str:
        oid = repo.resolve(rev)
        if oid is None:
            raise _HubError(_error(404, f"Invalid rev id: {rev}", "RevisionNotFound"))
        return oid

    def _base(self, ctx: _Ctx) -> str:
        return self.state.url or f"http://{ctx.host}"

    # -- /api/... -------------------------------------------------------------------------------------------------

    def _api(self, ctx: _Ctx, segs: list[str]) -> Response:
        m = ctx.method
        if segs == ["repos", "create"] and m == "POST":
            return self._create_repo(ctx)
        if segs == ["repos", "delete"] and m == "DELETE":
            return self._delete_repo(ctx)
        if segs == ["validate-yaml"] and m == "POST":
            return self._validate_yaml(ctx)
        if segs == ["whoami-v2"] and m == "GET":
            self._require_auth(ctx)
            token_info = {"type": "access_token", "accessToken": {"displayName": "test", "role": "write"}}
            return _json(200, {"type": "user", "name": self.state.user, "fullname": "Test User", "orgs": [],
                               "auth": token_info})
        if len(segs) >= 3 and segs[0] in _REPO_TYPES:
            repo_type, repo_id, rest = _REPO_TYPES[segs[0]], f"{segs[1]}/{segs[2]}", segs[3:]
            with self.state.lock:
                return self._repo_api(ctx, repo_type, repo_id, rest)
        return _error(404, "Not found")

    def _repo_api(self, ctx: _Ctx, repo_type: str, repo_id: str, rest: list[str]) -> Response:
        m = ctx.method
        if not rest and m == "GET":
            repo = self._get_repo(ctx, repo_type, repo_id)
            return self._info(ctx, repo, repo.head())
        if not rest:
            return _error(405, "Method not allowed")
        op = rest[0]
        if op == "refs" and len(rest) == 1 and m == "GET":
            return self._refs(ctx, self._get_repo(ctx, repo_type, repo_id))
        if op == "tag" and m == "DELETE" and len(rest) >= 2:
            self._require_auth(ctx)
            return self._delete_tag(ctx, self._get_repo(ctx, repo_type, repo_id), "/".join(rest[1:]))
        if op in ("revision", "tree", "paths-info", "preupload", "commit", "commits", "tag") and len(rest) >= 2:
            rev, tail = _take_rev(rest[1:])
            if op in ("preupload", "commit", "tag"):
                self._require_auth(ctx)
            repo = self._get_repo(ctx, repo_type, repo_id)
            if op == "revision" and m == "GET" and not tail:
                return self._info(ctx, repo, self._get_oid(repo, rev))
            if op == "tree" and m == "GET":
                return self._tree(ctx, repo, self._get_oid(repo, rev), "/".join(tail))
            if op == "paths-info" and m == "POST" and not tail:
                return self._paths_info(ctx, repo, self._get_oid(repo, rev))
            if op == "preupload" and m == "POST" and not tail:
                return self._preupload(ctx, repo, rev)
            if op == "commit" and m == "POST" and not tail:
                return self._commit(ctx, repo, rev)
            if op == "commits" and m == "GET" and not tail:
                return self._commits(ctx, repo, self._get_oid(repo, rev))
            if op == "tag" and m == "POST" and not tail:
                return self._create_tag(ctx, repo, rev)
        return _error(404, "Not found")

    def _create_repo(self, ctx: _Ctx) -> Response:
        self._require_auth(ctx)
        payload = ctx.json()
        name, org = payload.get("name"), payload.get("organization")
        repo_type = payload.get("type") or "model"
        if not name or repo_type not in _URL_PREFIX:
            return _error(400, "Invalid repo name or type")
        repo_id = f"{org or self.state.user}/{name}"
        url = f"{self._base(ctx)}/{_URL_PREFIX[repo_type]}{repo_id}"
        with self.state.lock:
            if (repo_type, repo_id) in self.state.repos:
                return _json(409, {"error": f"You already created this {repo_type} repo", "url": url})
            private = payload.get("private")
            if private is None:
                private = payload.get("visibility") == "private"
            self.state.create_repo(repo_id, repo_type, private=bool(private))
        return _json(200, {"url": url, "name": repo_id, "id": repo_id})

    def _delete_repo(self, ctx: _Ctx) -> Response:
        self._require_auth(ctx)
        payload = ctx.json()
        repo_id = f"{payload.get('organization') or self.state.user}/{payload.get('name')}"
        with self.state.lock:
            if self.state.repos.pop((payload.get("type") or "model", repo_id), None) is None:
                return _error(404, "Repository not found", "RepoNotFound")
        return _json(200, {})

    def _validate_yaml(self, ctx: _Ctx) -> Response:
        """400 only for metadata that is not YAML (when PyYAML is available); no schema check."""
        front = _front_matter(str(ctx.json().get("content", "")))
        if front is not None:
            try:
                import yaml
            except ImportError:
                yaml = None
            if yaml is not None:
                try:
                    yaml.safe_load(front)
                except Exception as e:
                    return _json(400, {"errors": [{"message": f"Invalid YAML in README.md metadata: {e}"}],
                                       "warnings": []})
        return _json(200, {"errors": [], "warnings": []})

    def _info(self, ctx: _Ctx, repo: Repo, oid: str) -> Response:
        commit = repo.commits[oid]
        blobs = ctx.flag("blobs")
        siblings = []
        for path in sorted(commit.tree):
            sib: dict[str, Any] = {"rfilename": path}
            if blobs:
                sib.update(size=len(commit.tree[path]), blobId=git_blob_oid(commit.tree[path]))
            siblings.append(sib)
        ns = repo.repo_id.split("/")[0]
        info: dict[str, Any] = {
            "_id": hashlib.sha1(f"{repo.repo_type}/{repo.repo_id}".encode()).hexdigest()[:24],
            "id": repo.repo_id,
            "author": ns,
            "sha": oid,
            "lastModified": commit.date,
            "createdAt": repo.created_at,
            "private": repo.private,
            "gated": False,
            "disabled": False,
            "downloads": 0,
            "likes": 0,
            "tags": [],
            "siblings": siblings,
            "usedStorage": sum(len(b) for b in commit.tree.values()),
        }
        card = _card_data(commit.tree.get("README.md"))
        if card is not None:
            info["cardData"] = card
        expand = ctx.query.get("expand") or ctx.query.get("expand[]")
        if expand:
            info = {k: v for k, v in info.items() if k in ("_id", "id") or k in expand}
        return _json(200, info)

    def _refs(self, ctx: _Ctx, repo: Repo) -> Response:
        out: dict[str, Any] = {
            "branches": [{"name": b, "ref": f"refs/heads/{b}", "targetCommit": o} for b, o in repo.branches.items()],
            "tags": [{"name": t, "ref": f"refs/tags/{t}", "targetCommit": o} for t, o in repo.tags.items()],
            "converts": [],
        }
        if ctx.flag("include_prs"):
            out["pullRequests"] = []
        return _json(200, out)

    # tree / paths-info

    def _last_commit(self, repo: Repo, oid: str, path: str, is_dir: bool) -> dict[str, str]:
        def key(tree: dict[str, bytes]) -> Any:
            if not is_dir:
                return tree.get(path)
            prefix = path + "/"
            return sorted((p, git_blob_oid(b)) for p, b in tree.items() if p.startswith(prefix))

        last = repo.commits[oid]
        for commit in repo.history(oid):
            parent = repo.commits[commit.parent].tree if commit.parent else {}
            if key(commit.tree) != key(parent):
                last = commit
                break
        return {"id": last.oid, "title": last.summary, "date": last.date}

    def _entry(self, repo: Repo, oid: str, path: str, expand: bool) -> dict[str, Any]:
        tree = repo.commits[oid].tree
        if path in tree:
            data = tree[path]
            entry: dict[str, Any] = {"type": "file", "oid": git_blob_oid(data), "size": len(data), "path": path}
        else:
            prefix = path + "/"
            listing = "".join(f"{p}\0{git_blob_oid(b)}\0" for p, b in sorted(tree.items()) if p.startswith(prefix))
            entry = {"type": "directory", "oid": hashlib.sha1(listing.encode()).hexdigest(), "size": 0, "path": path}
        if expand:
            entry["lastCommit"] = self._last_commit(repo, oid, path, entry["type"] == "directory")
        return entry

    @staticmethod
    def _dirs(tree: dict[str, bytes]) -> set[str]:
        dirs = set()
        for p in tree:
            parts = p.split("/")
            for i in range(1, len(parts)):
                dirs.add("/".join(parts[:i]))
        return dirs

    def _tree(self, ctx: _Ctx, repo: Repo, oid: str, path: str) -> Response:
        tree = repo.commits[oid].tree
        dirs = self._dirs(tree)
        path = path.strip("/")
        if path and path not in dirs:
            return _error(404, f"{path} does not exist on {oid}" if path not in tree else f"{path} is a file",
                          "EntryNotFound", **{"X-Repo-Commit": oid})
        prefix = path + "/" if path else ""
        recursive, expand = ctx.flag("recursive"), ctx.flag("expand")
        names = [p for p in itertools.chain(sorted(dirs), sorted(tree)) if p.startswith(prefix)]
        if not recursive:
            names = [p for p in names if "/" not in p[len(prefix):]]
        page_size = max(1, min(self.state.tree_page_size, 50) if expand else self.state.tree_page_size)
        cursor = int((ctx.query.get("cursor") or ["0"])[0] or 0)
        page = names[cursor:cursor + page_size]
        headers = {"X-Repo-Commit": oid}
        if cursor + page_size < len(names):
            query = {k: v for k, v in ctx.query.items() if k != "cursor"}
            query["cursor"] = [str(cursor + page_size)]
            headers["Link"] = f'<{self._base(ctx)}{ctx.path}?{urlencode(query, doseq=True)}>; rel="next"'
        return _json(200, [self._entry(repo, oid, p, expand) for p in page], headers)

    def _paths_info(self, ctx: _Ctx, repo: Repo, oid: str) -> Response:
        if ctx.headers.get("content-type", "").startswith("application/json"):
            payload = ctx.json()
            paths, expand = payload.get("paths", []), bool(payload.get("expand"))
        else:
            form = parse_qs(ctx.body.decode(), keep_blank_values=True)
            paths = form.get("paths", [])
            expand = (form.get("expand") or ["false"])[0].lower() in ("1", "true")
        if isinstance(paths, str):
            paths = [paths]
        tree, dirs = repo.commits[oid].tree, self._dirs(repo.commits[oid].tree)
        out = []
        for p in paths:
            p = str(p).strip("/")
            if p in tree or p in dirs:
                out.append(self._entry(repo, oid, p, expand))
        return _json(200, out, {"X-Repo-Commit": oid})

    def _commits(self, ctx: _Ctx, repo: Repo, oid: str) -> Response:
        return _json(200, [
            {"id": c.oid, "title": c.summary, "message": c.description, "date": c.date,
             "authors": [{"user": c.author, "avatar": ""}]}
            for c in repo.history(oid)
        ])

    # writes

    def _preupload(self, ctx: _Ctx, repo: Repo, rev: str) -> Response:
        oid = repo.resolve(rev)
        if oid is None:
            return _error(404, f"Invalid rev id: {rev}", "RevisionNotFound")
        tree = repo.commits[oid].tree
        files = []
        for f in ctx.json().get("files", []):
            path = f.get("path", "")
            remote = tree.get(path)
            files.append({
                "path": path,
                "uploadMode": "regular",
                "shouldIgnore": False,
                "oid": git_blob_oid(remote) if (remote is not None and self.state.report_remote_oids) else None,
            })
        return _json(200, {"files": files, "commitOid": oid})

    def _commit(self, ctx: _Ctx, repo: Repo, rev: str) -> Response:
        if ctx.flag("create_pr"):
            return _error(400, "create_pr is not supported by the test hub")
        if rev.startswith("refs/heads/"):
            rev = rev[len("refs/heads/"):]
        if rev not in repo.branches:
            if repo.resolve(rev) is not None:
                return _error(400, f"Invalid rev id: {rev} is not a branch")
            return _error(404, f"Invalid rev id: {rev}", "RevisionNotFound")
        try:
            lines = [json.loads(line) for line in ctx.body.decode("utf-8").splitlines() if line.strip()]
        except (UnicodeDecodeError, json.JSONDecodeError) as e:
            return _error(400, f"Invalid NDJSON payload: {e}")
        if not lines or lines[0].get("key") != "header":
            return _error(400, "The first line of the payload must be the header")
        header = lines[0].get("value") or {}
        summary = header.get("summary") or ""
        if not summary.strip():
            return _error(400, "Commit summary is required")
        head = repo.branches[rev]
        parent_commit = header.get("parentCommit")
        if parent_commit is not None and parent_commit != head:
            return _error(412, COMMIT_CONFLICT)
        tree = dict(repo.commits[head].tree)  # build the whole new tree, then swap the branch head
        for line in lines[1:]:
            key, value = line.get("key"), line.get("value") or {}
            path = value.get("path", "")
            if key == "file":
                if not _valid_path(path):
                    return _error(400, f"Invalid path: {path!r}")
                content = value.get("content", "")
                if value.get("encoding") == "base64":
                    try:
                        data = base64.b64decode(content, validate=True)
                    except ValueError:
                        return _error(400, f"Invalid base64 content for {path}")
                else:
                    data = content.encode("utf-8")
                tree[path] = data
            elif key == "deletedFile":
                if path not in tree:
                    return _error(404, f"A file with this name doesn't exist: {path}", "EntryNotFound")
                del tree[path]
            elif key == "deletedFolder":
                prefix = path.rstrip("/") + "/"
                doomed = [p for p in tree if p.startswith(prefix)]
                if not doomed:
                    return _error(404, f"A folder with this name doesn't exist: {path}", "EntryNotFound")
                for p in doomed:
                    del tree[p]
            elif key == "lfsFile":
                return _error(400, "LFS files are not supported by the test hub (preupload answers 'regular')")
            else:
                return _error(400, f"Unknown commit operation: {key!r}")
        commit = self.state._new_commit(repo, head, summary, header.get("description") or "", tree, self.state.user)
        repo.branches[rev] = commit.oid
        url = f"{self._base(ctx)}/{repo.url_prefix}{repo.repo_id}/commit/{commit.oid}"
        return _json(200, {"success": True, "commitOid": commit.oid, "commitUrl": url, "hookOutput": ""})

    def _create_tag(self, ctx: _Ctx, repo: Repo, rev: str) -> Response:
        oid = self._get_oid(repo, rev)
        payload = ctx.json()
        tag = payload.get("tag")
        if not tag or not isinstance(tag, str) or re.search(r"[\s~^:?*\[\\]|\.\.|^/|/$", tag):
            return _error(400, f"Invalid tag name: {tag!r}")
        if tag in repo.tags:
            return _error(409, f"Tag {tag} already exists")
        repo.tags[tag] = oid
        repo.tag_messages[tag] = payload.get("message") or ""
        return _json(200, {"name": tag, "ref": f"refs/tags/{tag}", "targetCommit": oid})

    def _delete_tag(self, ctx: _Ctx, repo: Repo, tag: str) -> Response:
        if tag not in repo.tags:
            return _error(404, f"Tag {tag} does not exist", "RevisionNotFound")
        del repo.tags[tag]
        repo.tag_messages.pop(tag, None)
        return _json(200, {})

    # -- /{datasets/}ns/name/resolve/{rev}/{path} -------------------------------------------------------------------

    def _resolve(self, ctx: _Ctx, segs: list[str]) -> Response:
        if segs and segs[0] in ("datasets", "spaces"):
            repo_type, segs = _REPO_TYPES[segs[0]], segs[1:]
        else:
            repo_type = "model"
        if len(segs) < 5 or segs[2] != "resolve" or ctx.method not in ("GET", "HEAD"):
            return _error(404, "Not found")
        repo_id = f"{segs[0]}/{segs[1]}"
        rev, tail = _take_rev(segs[3:])
        path = "/".join(tail)
        with self.state.lock:
            repo = self._get_repo(ctx, repo_type, repo_id)
            oid = self._get_oid(repo, rev)
            data = repo.commits[oid].tree.get(path)
        if data is None:
            return _error(404, "Entry not found", "EntryNotFound", **{"X-Repo-Commit": oid})
        name = path.rsplit("/", 1)[-1]
        ascii_name = name.encode("ascii", "replace").decode().replace('"', "")
        headers = {
            "X-Repo-Commit": oid,
            "ETag": f'"{git_blob_oid(data)}"',
            "Accept-Ranges": "bytes",
            "Content-Type": (
                "text/plain; charset=utf-8" if name.endswith((".md", ".txt", ".json", ".yaml"))
                else "application/octet-stream"
            ),
            "Content-Disposition": f"inline; filename*=UTF-8''{quote(name)}; filename=\"{ascii_name}\"",
        }
        rng = ctx.headers.get("range")
        if rng:
            m = re.fullmatch(r"\s*bytes=(\d*)-(\d*)\s*", rng)
            size = len(data)
            if not m or (m.group(1) == "" and m.group(2) == ""):
                return Response(416, b"", {**headers, "Content-Range": f"bytes */{size}"})
            if m.group(1) == "":
                start, end = max(0, size - int(m.group(2))), size - 1
            else:
                start = int(m.group(1))
                end = min(int(m.group(2)), size - 1) if m.group(2) else size - 1
            if start >= size or start > end:
                return Response(416, b"", {**headers, "Content-Range": f"bytes */{size}"})
            return Response(206, data[start:end + 1], {**headers, "Content-Range": f"bytes {start}-{end}/{size}"})
        return Response(200, data, headers)


@dataclass
class _Ctx:
    method: str
    path: str  # raw path, no query
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes
    authed: bool
    host: str

    def json(self) -> dict:
        try:
            value = json.loads(self.body or b"{}")
        except (json.JSONDecodeError, UnicodeDecodeError) as e:
            raise _HubError(_error(400, f"Invalid JSON body: {e}")) from None
        if not isinstance(value, dict):
            raise _HubError(_error(400, "Expected a JSON object"))
        return value

    def flag(self, name: str) -> bool:
        values = self.query.get(name)
        return bool(values) and values[-1].lower() in ("1", "true", "yes", "")


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "TestHub/1.0"
    timeout = 60  # idle keep-alive connections end eventually

    server: "_Server"

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    def do_GET(self) -> None:
        self._handle("GET")

    def do_HEAD(self) -> None:
        self._handle("HEAD")

    def do_POST(self) -> None:
        self._handle("POST")

    def do_PUT(self) -> None:
        self._handle("PUT")

    def do_DELETE(self) -> None:
        self._handle("DELETE")

    def _read_body(self) -> bytes:
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _drop(self) -> None:
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def _send(self, resp: Response, head: bool) -> None:
        self.send_response(resp.status)
        headers = dict(resp.headers)
        headers.setdefault("Content-Length", str(len(resp.body)))
        for k, v in headers.items():
            self.send_header(k, v)
        self.end_headers()
        if not head and resp.body:
            self.wfile.write(resp.body)

    def _handle(self, method: str) -> None:
        state = self.server.state
        path = urlsplit(self.path).path
        headers = {k.lower(): v for k, v in self.headers.items()}
        record = RecordedRequest(method, self.path, headers)
        with state.lock:
            state.requests.append(record)
        fault = state._take_fault(method, path)
        if fault is not None and fault.action == "drop" and not fault.read_body:
            record.fault = "drop"
            self._drop()
            return
        record.body = self._read_body()
        if fault is None or fault.after_apply:
            try:
                resp = self.server.router.dispatch(method, self.path, headers, record.body, headers.get("host", ""))
            except Exception as e:  # a bug in the test hub: make it visible to the client
                resp = _error(500, f"test hub crashed: {type(e).__name__}: {e}")
        if fault is not None:
            record.fault = "drop" if fault.action == "drop" else f"status:{fault.status}"
            if fault.action == "drop":
                self._drop()
                return
            body = fault.body if fault.body is not None else {"error": f"Injected fault: HTTP {fault.status}"}
            resp = _json(fault.status, body, fault.headers)
        record.status = resp.status
        self._send(resp, head=(method == "HEAD"))


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, state: HubState) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.state = state
        self.router = _Router(state)


class HubServer:
    """The test Hub, serving `state` on 127.0.0.1:<free port> from a daemon thread."""

    def __init__(self, state: HubState | None = None) -> None:
        self.state = state or HubState()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self.url = ""

    def start(self) -> "HubServer":
        self._server = _Server(self.state)
        host, port = self._server.server_address[:2]
        self.url = f"http://{host}:{port}"
        self.state.url = self.url
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="test-hub", daemon=True
        )
        self._thread.start()
        return self

    def close(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> "HubServer":
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.close()


# ----------------------------------------------------------------------------------------------------------------
# Pointing huggingface_hub / datasets at the server
# ----------------------------------------------------------------------------------------------------------------

# Environment read by the clients; set for the test (and inherited by subprocesses).
_UNSET_ENV = (
    "HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE", "TRANSFORMERS_OFFLINE", "HUGGING_FACE_HUB_TOKEN", "HF_OIDC_RESOURCE",
    "HUGGINGFACE_CO_STAGING", "HF_TOKEN_PATH", "HF_STORED_TOKENS_PATH", "HUGGINGFACE_HUB_CACHE", "HF_ASSETS_CACHE",
    "HUGGINGFACE_ASSETS_CACHE", "HF_XET_CACHE", "HF_MODULES_CACHE", "HF_DATASETS_DOWNLOADED_DATASETS_PATH",
    "HF_DATASETS_EXTRACTED_DATASETS_PATH", "HF_HUB_DISABLE_IMPLICIT_TOKEN",
)

# Module-level names that hold a copy of the endpoint (or a URL built from it) at import time.
_ENDPOINT_NAMES = ("ENDPOINT", "HF_ENDPOINT", "HUGGINGFACE_CO_URL_TEMPLATE", "HUB_DATASETS_URL")


def point_clients_at(monkeypatch: pytest.MonkeyPatch, url: str, token: str, home: Path) -> None:
    """Make huggingface_hub and datasets (already imported or not, in-process and in subprocesses) use the Hub at
    `url` with `token`, caches under `home`, Xet/telemetry/download counts off.  Everything is undone by
    `monkeypatch`."""
    # Import the clients first, before touching the environment: their import-time copies must be the session's
    # originals, so that monkeypatch restores those (a first import during the test would keep this test's
    # endpoint and cache dirs for the rest of the session).
    import huggingface_hub.constants as hc
    from huggingface_hub.utils import _http

    try:
        import datasets.config as dc
    except ImportError:
        dc = None
    old_endpoints = {hc.ENDPOINT, "https://huggingface.co"}
    if dc is not None:
        old_endpoints.add(dc.HF_ENDPOINT.rstrip("/"))

    home = Path(home)
    env = {
        "HF_ENDPOINT": url,
        "HF_TOKEN": token,
        "HF_HUB_DISABLE_XET": "1",
        "HF_HUB_DISABLE_TELEMETRY": "1",
        "HF_HUB_DISABLE_UPDATE_CHECK": "1",
        "HF_UPDATE_DOWNLOAD_COUNTS": "0",  # datasets would HEAD s3.amazonaws.com on every load
        "HF_HOME": str(home),
        "HF_HUB_CACHE": str(home / "hub"),
        "HF_DATASETS_CACHE": str(home / "datasets"),
        "NO_PROXY": ",".join(filter(None, [os.environ.get("NO_PROXY"), "127.0.0.1", "localhost"])),
        "no_proxy": ",".join(filter(None, [os.environ.get("no_proxy"), "127.0.0.1", "localhost"])),
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    for key in _UNSET_ENV:
        monkeypatch.delenv(key, raising=False)

    const = {
        "ENDPOINT": url,
        "HUGGINGFACE_CO_URL_TEMPLATE": url + "/{repo_id}/resolve/{revision}/{filename}",
        "HF_URL_HOSTS": frozenset(hc.HF_URL_HOSTS | {"127.0.0.1"}),
        "HF_HUB_OFFLINE": False,
        "HF_HUB_DISABLE_XET": True,
        "HF_HUB_DISABLE_TELEMETRY": True,
        "HF_HUB_DISABLE_UPDATE_CHECK": True,
        "HF_HUB_DISABLE_IMPLICIT_TOKEN": False,
        "HF_HOME": str(home),
        "default_cache_path": str(home / "hub"),
        "default_assets_cache_path": str(home / "assets"),
        "HUGGINGFACE_HUB_CACHE": str(home / "hub"),
        "HF_HUB_CACHE": str(home / "hub"),
        "HUGGINGFACE_ASSETS_CACHE": str(home / "assets"),
        "HF_ASSETS_CACHE": str(home / "assets"),
        "HF_TOKEN_PATH": str(home / "token"),
        "HF_STORED_TOKENS_PATH": str(home / "stored_tokens"),
        "HF_XET_CACHE": str(home / "xet"),
        "CHECK_FOR_UPDATE_DONE_PATH": str(home / ".check_for_update_done"),
        "CHECK_FOR_SKILL_UPDATE_DONE_PATH": str(home / ".check_for_skill_update_done"),
        "AGENT_HARNESSES_PATH": str(home / ".agent_harnesses.json"),
    }
    for name, value in const.items():
        if hasattr(hc, name):
            monkeypatch.setattr(hc, name, value)
    if hasattr(_http, "_HUB_ORIGINS"):
        monkeypatch.setattr(_http, "_HUB_ORIGINS", frozenset(_http._HUB_ORIGINS | {_http._url_origin(url)}))

    if dc is not None:
        ds_home = home / "datasets"
        ds = {
            "HF_ENDPOINT": url,
            "HUB_DATASETS_URL": url + "/datasets/{repo_id}/resolve/{revision}/{path}",
            "HF_HUB_OFFLINE": False,
            "HF_DATASETS_OFFLINE": False,
            "HF_UPDATE_DOWNLOAD_COUNTS": False,
            "HF_CACHE_HOME": str(home),
            "HF_DATASETS_CACHE": ds_home,
            "HF_MODULES_CACHE": home / "modules",
            "DOWNLOADED_DATASETS_PATH": ds_home / "downloads",
            "EXTRACTED_DATASETS_PATH": ds_home / "downloads" / "extracted",
        }
        for name, value in ds.items():
            if hasattr(dc, name):
                monkeypatch.setattr(dc, name, value)

    # Any other module-level copy of the endpoint (e.g. `from huggingface_hub.constants import ENDPOINT`).
    for mod_name, module in list(sys.modules.items()):
        if module is None or not mod_name.startswith(("huggingface_hub", "datasets", "corpus")):
            continue
        if mod_name in ("huggingface_hub.constants", "datasets.config"):
            continue
        namespace = getattr(module, "__dict__", {})
        for name in _ENDPOINT_NAMES:
            value = namespace.get(name)
            if not isinstance(value, str):
                continue
            for old in old_endpoints:
                if value == old or value.startswith(old + "/"):
                    monkeypatch.setattr(module, name, url + value[len(old):])
                    break

    _reset_client_caches()


def _reset_client_caches() -> None:
    """Drop pooled connections and cached HfFileSystem instances (they hold listings of the previous server)."""
    try:
        from huggingface_hub import HfFileSystem, close_session

        close_session()
        HfFileSystem.clear_instance_cache()
    except Exception:
        pass


@dataclass
class HubHandle:
    url: str  # http://127.0.0.1:PORT, no trailing slash (also in HF_ENDPOINT)
    state: HubState
    token: str  # valid token (also in HF_TOKEN)
    home: Path  # HF_HOME of the test
    server: HubServer

    def api(self, token: str | None = None):
        from huggingface_hub import HfApi

        return HfApi(endpoint=self.url, token=token or self.token)

    def __getitem__(self, key: str) -> Any:  # hub["url"], hub["state"], hub["token"]
        return getattr(self, key)


@pytest.fixture
def hub(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory):
    """A fresh in-memory Hub for one test, with the clients pointed at it (see `point_clients_at`)."""
    token = "hf_test_" + secrets.token_hex(12)
    server = HubServer(HubState(tokens={token})).start()
    home = tmp_path_factory.mktemp("hf_home")
    try:
        point_clients_at(monkeypatch, server.url, token, home)
        yield HubHandle(url=server.url, state=server.state, token=token, home=home, server=server)
    finally:
        _reset_client_caches()
        server.close()

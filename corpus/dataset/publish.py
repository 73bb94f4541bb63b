"""Publishing a built version to the Hugging Face Hub: one atomic commit, then the tag v<version>.

Idempotent (the same version and fingerprint again changes nothing), refuses a tag that already points at
other content, resumable (a release whose commit landed but whose tag did not is completed by a rerun), and
careful with the token: it is only ever handed to the client, and scrubbed from every message we print.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

# Exit codes of `corpus publish` (0 success; 2 is usage, as everywhere in the CLI).
NO_TOKEN, AUTH, NOT_WRITABLE, NETWORK, TAG_CONFLICT, PARENT_CONFLICT, HUB_ERROR = 4, 5, 6, 7, 8, 9, 10
RETRIES = 3  # attempts for timeouts and 5xx, with backoff
KEEP_REMOTE = {".gitattributes"}


class PublishError(RuntimeError):
    def __init__(self, message: str, code: int):
        super().__init__(message)
        self.code = code


@dataclass
class Plan:
    repo: str
    tag: str
    version: str
    fingerprint: str
    files: list[dict] = field(default_factory=list)  # path, bytes, sha256

    def describe(self) -> str:
        lines = [f"repo: {self.repo} (dataset)  tag: {self.tag}  fingerprint: {self.fingerprint}",
                 f"{len(self.files)} files, {sum(f['bytes'] for f in self.files)} bytes, in one commit:"]
        lines += [f"  {f['path']:<48}{f['bytes']:>12}  {f['sha256'][:16]}" for f in self.files]
        return "\n".join(lines)


def plan(dist: Path, repo: str) -> Plan:
    """What a release of this folder contains; reads nothing from the network."""
    try:
        manifest = json.loads((dist / "build.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise PublishError(f"{dist} is not a built version (build.json: {e})", 2) from None
    if repo.count("/") != 1 or not all(repo.split("/")):
        raise PublishError(f"--repo must be ORG/NAME, got {repo!r}", 2)
    files = []
    for path in sorted(p for p in dist.rglob("*") if p.is_file()):
        data = path.read_bytes()
        files.append({"path": path.relative_to(dist).as_posix(), "bytes": len(data),
                      "sha256": hashlib.sha256(data).hexdigest(), "local": path})
    return Plan(repo, f"v{manifest['version']}", manifest["version"], manifest["fingerprint"], files)


def _scrub(text: str, token: str | None) -> str:
    return text.replace(token, "***") if token else text


def _classify(error: Exception, token: str | None, action: str) -> PublishError:
    from huggingface_hub.errors import HfHubHTTPError

    status = getattr(getattr(error, "response", None), "status_code", None)
    message = _scrub(str(error).splitlines()[0] if str(error) else type(error).__name__, token)
    if isinstance(error, HfHubHTTPError) and status is not None:
        if status == 401:
            return PublishError(f"{action}: the Hub rejected the token (401). Check HF_TOKEN.", AUTH)
        if status == 403:
            return PublishError(f"{action}: the token may not write to this repo (403).", NOT_WRITABLE)
        if status == 412:
            return PublishError(f"{action}: the repo changed while publishing (412, parent commit mismatch); "
                                f"run publish again.", PARENT_CONFLICT)
        if status == 409:
            return PublishError(f"{action}: conflict (409): {message}", TAG_CONFLICT)
        return PublishError(f"{action}: the Hub answered {status}: {message}", HUB_ERROR)
    return PublishError(f"{action}: cannot reach the Hub ({type(error).__name__}: {message})", NETWORK)


def _transient(error: Exception) -> bool:
    import httpx2

    status = getattr(getattr(error, "response", None), "status_code", None)
    return isinstance(error, httpx2.TransportError) or (status is not None and status >= 500)


def _call(action: str, fn, token: str | None, *args, **kwargs):
    """Run one Hub call, retrying timeouts and 5xx with backoff, turning failures into PublishErrors."""
    import httpx2
    from huggingface_hub.errors import HfHubHTTPError

    for attempt in range(RETRIES):
        try:
            return fn(*args, **kwargs)
        except (HfHubHTTPError, httpx2.HTTPError, OSError) as e:
            if attempt + 1 < RETRIES and _transient(e):
                time.sleep(0.5 * 2**attempt)
                continue
            raise _classify(e, token, action) from None


def _remote_fingerprint(api, repo: str, revision: str, token: str | None) -> str | None:
    """The fingerprint recorded in build.json at a revision, or None when it has no build.json."""
    with tempfile.TemporaryDirectory(prefix="corpus-publish-") as cache:
        path = _call("reading the published build.json", _download_or_none, token, api, repo, revision, cache)
        return json.loads(Path(path).read_text(encoding="utf-8")).get("fingerprint") if path else None


def _download_or_none(api, repo: str, revision: str, cache: str) -> str | None:
    from huggingface_hub.errors import EntryNotFoundError

    try:
        return api.hf_hub_download(repo, "build.json", repo_type="dataset", revision=revision, cache_dir=cache)
    except EntryNotFoundError:
        return None


def publish(release: Plan, private: bool = False, create_pr: bool = False, say=print) -> str:
    """Publish; returns what happened ("published", "tagged", "unchanged", "pull request")."""
    from huggingface_hub import HfApi, get_token

    token = get_token()
    if not token:
        raise PublishError("no Hugging Face token: set HF_TOKEN or run `hf auth login`", NO_TOKEN)
    api = HfApi(token=token)
    repo = release.repo
    _call("creating the repo", api.create_repo, token, repo, repo_type="dataset", exist_ok=True, private=private)
    refs = _call("listing tags", api.list_repo_refs, token, repo, repo_type="dataset")
    tags = {t.name: t.target_commit for t in refs.tags}
    if release.tag in tags:
        published = _remote_fingerprint(api, repo, release.tag, token)
        if published == release.fingerprint:
            say(f"{repo}@{release.tag} already holds fingerprint {release.fingerprint}: nothing to do")
            return "unchanged"
        raise PublishError(f"tag {release.tag} of {repo} already exists with fingerprint {published}, not "
                           f"{release.fingerprint}: a published version is immutable; bump the version",
                           TAG_CONFLICT)
    head = next((b.target_commit for b in refs.branches if b.name == "main"), None)
    if head and _remote_fingerprint(api, repo, head, token) == release.fingerprint:
        commit = head  # an earlier run committed this release but did not tag it
        say(f"{repo}: main already holds this release ({head[:12]}); tagging it")
    else:
        commit = _commit(api, release, head, create_pr, token)
        if commit is None:
            say(f"opened a pull request on {repo}; merge it, then run publish again to tag {release.tag}")
            return "pull request"
    _call("creating the tag", api.create_tag, token, repo, tag=release.tag, revision=commit, repo_type="dataset",
          tag_message=f"{release.tag} ({release.fingerprint})")
    say(f"published {repo}@{release.tag} (commit {commit[:12]})")
    return "published" if commit != head else "tagged"


def _commit(api, release: Plan, head: str | None, create_pr: bool, token: str) -> str | None:
    from huggingface_hub import CommitOperationAdd, CommitOperationDelete

    remote = set(_call("listing files", api.list_repo_files, token, release.repo, repo_type="dataset",
                       revision=head)) if head else set()
    ours = {f["path"] for f in release.files}
    operations = [CommitOperationAdd(path_in_repo=f["path"], path_or_fileobj=str(f["local"])) for f in release.files]
    operations += [CommitOperationDelete(path_in_repo=p) for p in sorted(remote - ours - KEEP_REMOTE)]
    try:
        info = _call("committing", api.create_commit, token, release.repo, operations, repo_type="dataset",
                     commit_message=f"Release {release.tag}", parent_commit=head, create_pr=create_pr,
                     commit_description=f"Built with fingerprint {release.fingerprint}.")
    except PublishError as e:
        # a commit whose answer was lost may have landed: a retry then sees a moved head (412)
        refs = api.list_repo_refs(release.repo, repo_type="dataset")
        now = next((b.target_commit for b in refs.branches if b.name == "main"), None)
        if now and now != head and _remote_fingerprint(api, release.repo, now, token) == release.fingerprint:
            return now
        raise e
    if create_pr:
        return None  # a pull request is reviewed on the Hub; tagging waits for the merge
    return info.oid

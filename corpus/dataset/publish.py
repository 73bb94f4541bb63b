"""Publishing a built version to the Hugging Face Hub: one atomic commit, then the tag v<version>.

Idempotent (the same version and fingerprint again changes nothing), refuses a tag that already points at
other content, resumable (a release whose commit landed but whose tag did not is completed by a rerun), and
careful with the token: it is only ever handed to the client, and scrubbed from every message we print.

Only what the build made is sent: the folder must validate (`corpus validate`), and the release is exactly the files
build.json lists (plus build.json), checked again just before the commit; a symbolic link or a file the build did
not write stops the release before anything is uploaded.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import stat
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from corpus.config.recipe import valid_repo
from corpus.dataset.manifest import Manifest, ManifestError

# Exit codes of `corpus publish` (0 success; 2 is usage, as everywhere in the CLI).
INVALID = 1  # the folder is not a valid build (as `corpus validate` exits)
NO_TOKEN, AUTH, NOT_WRITABLE, NETWORK, TAG_CONFLICT, PARENT_CONFLICT, HUB_ERROR = 4, 5, 6, 7, 8, 9, 10
RETRIES = 3  # attempts for timeouts and 5xx, with backoff
KEEP_REMOTE = {".gitattributes"}
_VERSION = re.compile(r"[0-9A-Za-z][0-9A-Za-z.+_-]{0,63}")  # becomes the tag v<version>
_FINGERPRINT = re.compile(r"[0-9A-Za-z:._-]{1,128}")


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


def check_repo(repo: object) -> None:
    """ORG/NAME as the Hub accepts it: letters, digits, '-', '_', '.', neither starting nor ending with '-' or '.',
    no '--' or '..', not ending in '.git' (so nothing like '../evil', 'a b/c' or 'org/.git' reaches a URL)."""
    if not valid_repo(repo):
        raise PublishError(f"--repo must be ORG/NAME (letters, digits, '-', '_' and '.', not starting or ending "
                           f"with '-' or '.', no '--' or '..', not ending in '.git'), got {repo!r}", 2)


def plan(dist: Path, repo: str | None = None) -> Plan:
    """What a release of this folder contains: build.json and the files it lists, after `corpus validate` passes.
    `repo` defaults to the build's dataset.hub_repo, and must be it: the card tells users to load that repo, and
    rewriting the card here would break its sha256 in build.json. Reads nothing from the network."""
    from corpus.dataset.validate import MANIFEST, file_problems, listed_files, validate

    if repo is not None:
        check_repo(repo)
    try:
        manifest = Manifest.read(dist)
    except ManifestError as e:
        raise _unusable(dist, e) from None
    version, fingerprint = manifest.version, manifest.fingerprint
    if not _VERSION.fullmatch(version):
        raise PublishError(f"{dist}: build.json has no usable `version` (got {version!r:.80}); nothing was sent", 2)
    if not _FINGERPRINT.fullmatch(fingerprint):
        raise PublishError(f"{dist}: build.json has no usable `fingerprint` (got {fingerprint!r:.80}); "
                           f"nothing was sent", 2)
    # first the cheap question: exactly the build's files, no links, nothing added (a stray file may hold anything)
    if problems := file_problems(dist, manifest):
        raise PublishError(f"refusing to publish {dist}: it does not hold exactly the files build.json lists; "
                           f"nothing was sent:\n" + "\n".join(f"  - {p}" for p in problems), INVALID)
    try:
        report = validate(dist, check_files=False)  # the files were just checked
    except Exception as e:  # validation itself failing is a reason not to publish, not a traceback
        raise PublishError(f"refusing to publish {dist}: validation failed ({type(e).__name__}: {e})", INVALID) \
            from None
    if not report.ok:
        raise PublishError(f"refusing to publish {dist}: `corpus validate` finds it invalid; nothing was sent:\n"
                           + "\n".join(f"  - {p}" for p in report.problems), INVALID)
    repo = card_repo(dist, manifest, repo)
    listed, _ = listed_files(manifest)
    data = (dist / MANIFEST).read_bytes()
    files = [{**entry.to_dict(), "local": dist / path} for path, entry in listed.items()]
    files.append({"path": MANIFEST, "bytes": len(data), "sha256": hashlib.sha256(data).hexdigest(),
                  "local": dist / MANIFEST})
    return Plan(repo, f"v{version}", version, fingerprint, sorted(files, key=lambda f: f["path"]))


def _unusable(dist: Path, e: ManifestError) -> PublishError:
    """A build.json Manifest.read refuses: not a build (2), no usable version or fingerprint (2), or damaged
    elsewhere, which `corpus validate` would report (INVALID)."""
    if "" in e.problems:
        return PublishError(f"{dist} is not a built version ({e})", 2)
    for key in ("version", "fingerprint"):
        if key in e.problems:
            return PublishError(f"{dist}: build.json has no usable `{key}` ({e.problems[key]}); nothing was sent", 2)
    return PublishError(f"refusing to publish {dist}: `corpus validate` finds it invalid; nothing was sent:\n"
                        + "\n".join(f"  - {line}" for line in e.lines()), INVALID)


def card_repo(dist: Path, manifest: Manifest, repo: str | None) -> str:
    """The repo the build's card names in its load snippet (recipe dataset.hub_repo), which --repo may only repeat."""
    named = manifest.recipe.get("hub_repo")
    if not named:
        raise PublishError(f"refusing to publish {dist}: its card shows no Hub repo to load it from (only a local "
                           f"path); set dataset.hub_repo = \"{repo or 'ORG/NAME'}\" in the recipe, bump the version "
                           f"and build again; nothing was sent", 2)
    if not valid_repo(named):
        raise PublishError(f"refusing to publish {dist}: build.json names the repo {named!r:.100}, not ORG/NAME; "
                           f"nothing was sent", INVALID)
    if repo is not None and repo != named:
        raise PublishError(f"refusing to publish {dist} to {repo}: its card tells users to load {named} (recipe "
                           f"dataset.hub_repo). Publish it there (leave out --repo), or set dataset.hub_repo = "
                           f"\"{repo}\", bump the version and build again; nothing was sent", 2)
    return named


def changed_since_planned(release: Plan) -> list[str]:
    """Files of the plan that are no longer the regular file, of that size and sha256, that was checked."""
    changed = []
    for f in release.files:
        try:
            info = os.lstat(f["local"])
            if not stat.S_ISREG(info.st_mode) or info.st_size != f["bytes"]:
                changed.append(f["path"])
                continue
            h = hashlib.sha256()
            with open(f["local"], "rb") as stream:
                for block in iter(lambda: stream.read(1 << 20), b""):
                    h.update(block)
            if h.hexdigest() != f["sha256"]:
                changed.append(f["path"])
        except OSError:
            changed.append(f["path"])
    return changed


def _scrub(text: str, token: str | None) -> str:
    if not token:
        return text
    from urllib.parse import quote

    for form in {token, quote(token, safe=""), quote(token)}:
        text = text.replace(form, "***")
    return text


def _usable_token(token: str) -> bool:
    """What an HTTP header can carry: printable ASCII without spaces (a pasted token with an accent or a newline
    would otherwise fail deep inside the client)."""
    return token.isascii() and token.isprintable() and not any(c.isspace() for c in token)


def _classify(error: Exception, token: str | None, action: str) -> PublishError:
    import httpx2
    from huggingface_hub.errors import HfHubHTTPError

    status = getattr(getattr(error, "response", None), "status_code", None)
    message = str(error).splitlines()[0] if str(error).strip() else type(error).__name__
    server = getattr(error, "server_message", None)
    if isinstance(server, str) and server.strip() and server.strip() not in message:
        message = f"{message} ({' '.join(server.split())[:300]})"
    message = _scrub(message, token)
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
    if not isinstance(error, (httpx2.HTTPError, OSError)):
        return PublishError(f"{action}: unexpected answer from the Hub ({type(error).__name__}: {message})",
                            HUB_ERROR)
    return PublishError(f"{action}: cannot reach the Hub ({type(error).__name__}: {message})", NETWORK)


def _transient(error: Exception) -> bool:
    import httpx2

    status = getattr(getattr(error, "response", None), "status_code", None)
    return isinstance(error, httpx2.TransportError) or (status is not None and status >= 500)


def _call(action: str, fn, token: str | None, *args, **kwargs):
    """Run one Hub call, retrying timeouts and 5xx with backoff, turning failures into PublishErrors."""
    for attempt in range(RETRIES):
        try:
            return fn(*args, **kwargs)
        except Exception as e:  # noqa: BLE001  whatever the client raises becomes one clear message, no traceback
            if attempt + 1 < RETRIES and _transient(e):
                time.sleep(0.5 * 2**attempt)
                continue
            raise _classify(e, token, action) from None


def _remote_fingerprint(api, repo: str, revision: str, token: str | None) -> str | None:
    """The fingerprint recorded in build.json at a revision, or None when it has no build.json."""
    with tempfile.TemporaryDirectory(prefix="corpus-publish-") as cache:
        path = _call("reading the published build.json", _download_or_none, token, api, repo, revision, cache)
        if not path:
            return None
        try:
            fingerprint = json.loads(Path(path).read_text(encoding="utf-8")).get("fingerprint")
        except (OSError, ValueError, AttributeError):  # not our build.json: not a fingerprint either
            return None
        return fingerprint if isinstance(fingerprint, str) else None


def _download_or_none(api, repo: str, revision: str, cache: str) -> str | None:
    from huggingface_hub.errors import EntryNotFoundError

    try:
        return api.hf_hub_download(repo, "build.json", repo_type="dataset", revision=revision, cache_dir=cache)
    except EntryNotFoundError:
        return None


def publish(release: Plan, private: bool = False, create_pr: bool = False, say=print) -> str:
    """Publish; returns what happened ("published", "tagged", "unchanged", "pull request")."""
    from huggingface_hub import get_token

    token = get_token()
    if not token:
        raise PublishError("no Hugging Face token: set HF_TOKEN or run `hf auth login`", NO_TOKEN)
    if not _usable_token(token):
        raise PublishError("the Hugging Face token holds characters an HTTP header cannot carry (non-ASCII, spaces "
                           "or control characters): check HF_TOKEN or `hf auth login`", AUTH)
    check_repo(release.repo)
    try:  # every message, ours or the server's (which may echo the token back), is scrubbed
        return _publish(release, private, create_pr, lambda message: say(_scrub(str(message), token)), token)
    except PublishError as e:
        raise PublishError(_scrub(str(e), token), e.code) from None
    except Exception as e:  # noqa: BLE001  an answer the client did not expect: one message, never a traceback
        raise PublishError(_scrub(f"unexpected answer from the Hub ({type(e).__name__}: {e})", token),
                           HUB_ERROR) from None


def _publish(release: Plan, private: bool, create_pr: bool, say, token: str) -> str:
    from huggingface_hub import HfApi

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
        raise PublishError(f"tag {release.tag} of {repo} already exists with fingerprint {published!s:.80}, not "
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
    if changed := changed_since_planned(release):  # the last look before anything is uploaded
        raise PublishError(f"files changed since they were checked, nothing was uploaded: {', '.join(changed)}; "
                           f"run publish again (after rebuilding, if the build is not yours)", INVALID)
    ours = {f["path"] for f in release.files}
    operations = [CommitOperationAdd(path_in_repo=f["path"], path_or_fileobj=str(f["local"])) for f in release.files]
    operations += [CommitOperationDelete(path_in_repo=p) for p in sorted(remote - ours - KEEP_REMOTE)]
    try:
        info = _call("committing", api.create_commit, token, release.repo, operations, repo_type="dataset",
                     commit_message=f"Release {release.tag}", parent_commit=head, create_pr=create_pr,
                     commit_description=f"Built with fingerprint {release.fingerprint}.")
    except PublishError as e:
        # a commit whose answer was lost may have landed: a retry then sees a moved head (412)
        try:
            refs = _call("checking whether the commit landed", api.list_repo_refs, token, release.repo,
                         repo_type="dataset")
            now = next((b.target_commit for b in refs.branches if b.name == "main"), None)
            landed = bool(now and now != head
                          and _remote_fingerprint(api, release.repo, now, token) == release.fingerprint)
        except PublishError as again:
            raise PublishError(f"{e}; then {again}. Whether the commit landed is unknown: run publish again "
                               f"(it completes a landed release, or commits it anew)", e.code) from None
        if landed:
            return now
        raise e
    if create_pr:
        return None  # a pull request is reviewed on the Hub; tagging waits for the merge
    return info.oid

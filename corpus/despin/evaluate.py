"""Metrics for de-spinning models (noisy -> clean) and spin detectors.

Pure functions, no I/O: a benchmark script reads rows and predictions, these turn them into numbers.
Character- and word-level error rates say how far a prediction is from the reference; edit-level
precision/recall says whether the model made the *right* changes and only those (copying the input
scores well on CER for lightly spun text, but has recall 0); error_reduction and harm put the model
next to the do-nothing baseline, which is the one to beat.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence

from rapidfuzz.distance import Levenshtein

from corpus.text.memo import Memo
from corpus.text.tokens import tokens

Edit = tuple[int, int, tuple[str, ...]]



def levenshtein(a: Sequence[Hashable], b: Sequence[Hashable]) -> int:
    """Edit distance (insert/delete/substitute, all cost 1) between two strings or token lists: rapidfuzz's
    bit-parallel C++ (it replaced our Python bit-parallel version, ~10x slower on a build's test sample)."""
    return Levenshtein.distance(a, b)


def token_edits(source: str, target: str, split=tokens) -> list[Edit]:
    """Edits turning `source` into `target`: (start, end) token span of `source` and its replacement.

    A phrase swap ("hiệu suất cao" -> "hiệu quả") must be one edit, or a model is scored on how the aligner
    cuts it up: each gap between difflib's matching blocks is one edit. Changes separated by an unchanged token
    stay apart ("thay đổi" -> "đổi mới" is two edits: "thay" deleted, "mới" inserted). Whitespace is not a token,
    so spacing-only changes ("tỉnh ." -> "tỉnh.") are invisible here (CER sees them). `split`: tokens(), or a
    memo of it (tallies() splits each text once).
    """
    if source == target:
        return []  # what difflib would say, without the alignment cost
    a, b = split(source), split(target)
    edits, i, j = [], 0, 0
    for ai, bj, size in [*_matching_blocks(a, b), (len(a), len(b), 0)]:
        if i < ai or j < bj:
            edits.append((i, ai, tuple(b[j:bj])))
        i, j = ai + size, bj + size
    return edits


def _matching_blocks(a: list[str], b: list[str]) -> list[tuple[int, int, int]]:
    """difflib.SequenceMatcher(None, a, b, autojunk=False).get_matching_blocks() minus its sentinel, inlined: the
    same longest-match recursion without junk (its extension loops never move a block then) or the object's
    overhead, about 1.15x faster. tests/test_evaluate.py holds it to difflib."""
    b2j: dict[str, list[int]] = {}
    for j, t in enumerate(b):
        b2j.setdefault(t, []).append(j)
    nothing: list[int] = []
    queue, blocks = [(0, len(a), 0, len(b))], []
    while queue:
        alo, ahi, blo, bhi = queue.pop()
        besti, bestj, bestsize = alo, blo, 0
        j2len: dict[int, int] = {}
        for i in range(alo, ahi):
            j2lenget, j2len = j2len.get, {}
            for j in b2j.get(a[i], nothing):
                if j < blo:
                    continue
                if j >= bhi:
                    break
                k = j2len[j] = j2lenget(j - 1, 0) + 1
                if k > bestsize:  # the first longest: earliest in a, then in b
                    besti, bestj, bestsize = i - k + 1, j - k + 1, k
        if bestsize:
            blocks.append((besti, bestj, bestsize))
            if alo < besti and blo < bestj:
                queue.append((alo, besti, blo, bestj))
            if besti + bestsize < ahi and bestj + bestsize < bhi:
                queue.append((besti + bestsize, ahi, bestj + bestsize, bhi))
    blocks.sort()
    return blocks


def _rate(distance: int, length: int) -> float:
    """Errors per reference unit; an empty reference is 0 if matched exactly and 1 otherwise."""
    return distance / length if length else float(distance > 0)


def _distances(text: str, reference: str) -> tuple[int, int]:
    """Character and whitespace-word edit distances of one row."""
    if text == reference:
        return 0, 0
    return levenshtein(text, reference), levenshtein(text.split(), reference.split())


def _f_beta(precision: float, recall: float, beta: float = 0.5) -> float:
    """F-beta; beta 0.5 weighs precision more, as in grammatical error correction (a wrong edit costs more)."""
    b2 = beta * beta
    denominator = b2 * precision + recall
    return (1 + b2) * precision * recall / denominator if denominator else 0.0


def score(inputs: list[str], predictions: list[str], references: list[str]) -> dict:
    """All de-spinning metrics for one model's predictions; see the module docstring for why each exists."""
    return scores(tally(inputs, predictions, references))


def tally(inputs: list[str], predictions: list[str], references: list[str]) -> dict:
    """The sums every metric of `score` is made of, for a chunk of rows. Chunks can be tallied in any worker and
    added up (`add_tallies`): the metrics of the sum are those of the whole, chrF included."""
    return tallies(inputs, {"": predictions}, references)[""]


def tallies(inputs: list[str], systems: dict[str, list[str]], references: list[str]) -> dict[str, dict]:
    """tally() of each system's predictions of the same rows: the gold edits and the input's distances, the
    costly part that does not depend on the predictions, are worked out once for them all."""
    n = len(inputs)
    for predictions in systems.values():
        if not n == len(predictions) == len(references):
            raise ValueError(f"lengths differ: {n} inputs, {len(predictions)} predictions, "
                             f"{len(references)} references")
    if not n:
        raise ValueError("nothing to score")
    input_dist = [_distances(s, r) for s, r in zip(inputs, references)]
    split, stripped = Memo(tokens), Memo(_no_space)  # each text worked out once, whichever systems share it
    gold = [set(token_edits(s, r, split.__getitem__)) for s, r in zip(inputs, references)]
    common = {"rows": n, "ref_chars": sum(len(r) for r in references),
              "ref_words": sum(len(r.split()) for r in references),
              "input_char_errors": sum(c for c, _ in input_dist)}
    return {name: _tally(inputs, predictions, references, input_dist, gold, common, split, stripped)
            for name, predictions in systems.items()}


def _tally(inputs, predictions, references, input_dist, gold, common, split: Memo, stripped: Memo) -> dict:
    # a prediction equal to its input (the identity baseline, untouched rows) costs nothing to re-measure
    pred_dist = [d if p == s else _distances(p, r)
                 for s, p, r, d in zip(inputs, predictions, references, input_dist)]
    tp = n_hyp = n_gold = 0
    for source, prediction, reference, edits in zip(inputs, predictions, references, gold):
        hyp = edits if prediction == reference else set(token_edits(source, prediction, split.__getitem__))
        tp += len(edits & hyp)
        n_hyp += len(hyp)
        n_gold += len(edits)
    # for each untouched row: did the model change it?
    untouched = [prediction != source for source, prediction, reference in zip(inputs, predictions, references)
                 if source == reference]
    return {
        "rows": common["rows"],
        "exact": sum(p == r for p, r in zip(predictions, references)),
        # corpus-level rates: errors summed over rows before dividing, so long paragraphs weigh more
        "ref_chars": common["ref_chars"],
        "ref_words": common["ref_words"],
        "char_errors": sum(c for c, _ in pred_dist),
        "word_errors": sum(w for _, w in pred_dist),
        "input_char_errors": common["input_char_errors"],
        "true_edits": tp, "proposed_edits": n_hyp, "gold_edits": n_gold,
        "untouched": len(untouched), "harmed": sum(untouched),
        "chrf": _CHRF.extract(predictions, references, lambda texts: list(map(stripped.__getitem__, texts))),
    }


def add_tallies(tallies: list[dict]) -> dict:
    first, *rest = tallies
    total = dict(first)
    for t in rest:
        for key, value in t.items():
            total[key] = [a + b for a, b in zip(total[key], value)] if key == "chrf" else total[key] + value
    return total


class _CHRF:
    """sacrebleu's chrF, split into the statistics of rows summed and the score of that sum (what its
    corpus_score does in one go), so that chunks of rows can be counted apart. A test checks it against
    corpus_score."""

    ORDER = 6  # sacrebleu's defaults: character n-grams of 1..6, whitespace removed, no word n-grams, beta 2

    @staticmethod
    def metric():
        import sacrebleu  # only scoring needs it; detector_scores/format_table work without it

        return sacrebleu.metrics.CHRF()

    @classmethod
    def extract(cls, predictions: list[str], references: list[str], strip=None) -> list[int]:
        """[hypothesis n-grams, reference n-grams, matches] per order, summed over the rows: sacrebleu's numbers,
        counted with numpy, or by sacrebleu when the packing below does not fit."""
        summed = cls._counted(predictions, references, strip)
        if summed is None:
            summed = [sum(c) for c in zip(*cls.metric()._extract_corpus_statistics(predictions, [references]))]
        return summed

    @classmethod
    def _counted(cls, predictions: list[str], references: list[str], strip=None) -> list[int] | None:
        """Rows whose sides are the same text (whitespace aside) match in every n-gram, and so do the n-grams
        inside a stretch the two sides share (rapidfuzz's alignment): only the rest are counted, each n-gram as
        one uint64 (its row's number above its characters' ranks in their alphabet, a last bit telling the sides
        apart), so that one sort lines up each n-gram's copies on both sides. None if that takes over 64 bits."""
        import numpy as np
        from rapidfuzz.distance import Indel

        strip = strip or _stripped
        hyp, ref = strip(predictions), strip(references)
        differ = [h != r for h, r in zip(hyp, ref)]
        hyp_len, ref_len = _lengths(hyp), _lengths(ref)
        pairs = [(h, r) for h, r, d in zip(hyp, ref, differ) if d]
        hyp_codes, hyp_apart = _code_points([h for h, _ in pairs])
        ref_codes, ref_apart = _code_points([r for _, r in pairs])
        alphabet, ranks = _ranks(np.concatenate([hyp_codes, ref_codes]))
        bits = max(1, alphabet.bit_length())
        if cls.ORDER * bits + max(1, len(pairs).bit_length()) + 1 > 64:
            return None
        shared = np.array([(row, b.a, b.b, b.size) for row, (h, r) in enumerate(pairs)
                           for b in Indel.opcodes(h, r).as_matching_blocks() if b.size], np.int64).reshape(-1, 4)
        hyp_cover = _covered(hyp_apart, shared[:, 0], shared[:, 1], shared[:, 3])
        ref_cover = _covered(ref_apart, shared[:, 0], shared[:, 2], shared[:, 3])
        same = ~np.array(differ, bool)
        stats = []
        for n in range(1, cls.ORDER + 1):
            hyp_grams, ref_grams = np.maximum(hyp_len - n + 1, 0), np.maximum(ref_len - n + 1, 0)
            keys = np.sort(np.concatenate([
                _gram_keys(ranks[:len(hyp_codes)], hyp_apart, hyp_cover, n, bits) << np.uint64(1),
                _gram_keys(ranks[len(hyp_codes):], ref_apart, ref_cover, n, bits) << np.uint64(1) | np.uint64(1)]))
            grams = keys >> np.uint64(1)
            starts = np.flatnonzero(np.diff(grams, prepend=grams[:1] ^ np.uint64(1)))  # where each n-gram's run starts
            on_ref = np.add.reduceat((keys & np.uint64(1)).astype(np.int64), starts) if len(keys) else starts
            on_hyp = np.diff(starts, append=len(keys)) - on_ref
            inside = np.maximum(shared[:, 3] - n + 1, 0).sum()  # n-grams of the shared stretches
            matched = ref_grams[same].sum() + inside + np.minimum(on_hyp, on_ref).sum()
            # sacrebleu counts a row's hypothesis n-grams only when its reference has some of that order
            stats += [int(hyp_grams[ref_grams > 0].sum()), int(ref_grams.sum()), int(matched)]
        return stats

    @classmethod
    def score(cls, statistics: list[int]) -> float:
        return cls.metric()._compute_score_from_stats(statistics).score


def _no_space(text: str) -> str:
    """A text as chrF reads it: whitespace removed."""
    return "".join(text.split())


def _stripped(texts: list[str]) -> list[str]:
    return list(map(_no_space, texts))


def _lengths(texts: list[str]):
    import numpy as np

    return np.fromiter(map(len, texts), np.int64, len(texts))


def _code_points(texts: list[str]):
    """The texts as one array of code points, and their lengths."""
    import numpy as np

    return np.frombuffer("".join(texts).encode("utf-32-le"), dtype=np.uint32), _lengths(texts)


def _ranks(codes):
    """(how many distinct code points, each code point's rank among them): np.unique's count and inverse, from a
    table of the code points present instead of a sort when they are all below U+10000 (3x less time)."""
    import numpy as np

    if not len(codes) or codes.max() >= 1 << 16:
        alphabet, ranks = np.unique(codes, return_inverse=True)
        return len(alphabet), ranks
    present = np.zeros(int(codes.max()) + 1, bool)
    present[codes] = True
    rank = np.cumsum(present) - 1
    return int(rank[-1]) + 1, rank[codes]


def _covered(lengths, rows, starts, sizes):
    """For each character of rows end to end: where the shared stretch it is in ends (0: in none)."""
    import numpy as np

    first = (np.cumsum(lengths) - lengths)[rows] + starts
    covered = np.zeros(int(lengths.sum()), np.int64)
    covered[np.repeat(first - (np.cumsum(sizes) - sizes), sizes) + np.arange(sizes.sum())] = np.repeat(first + sizes,
                                                                                                     sizes)
    return covered


def _gram_keys(ranks, lengths, covered, n: int, bits: int):
    """One uint64 per character n-gram that fits inside its row and not inside a shared stretch: the row's number,
    then the n ranks."""
    import numpy as np

    total = len(ranks)
    position = np.arange(total)
    starts = np.cumsum(lengths) - lengths
    at = np.flatnonzero((position - np.repeat(starts, lengths) <= np.repeat(lengths, lengths) - n)
                        & (covered < position + n))
    padded = np.concatenate([ranks.astype(np.uint64), np.zeros(n, np.uint64)])
    keys = np.repeat(np.arange(len(lengths), dtype=np.uint64), lengths)[at] << np.uint64(n * bits)
    for k in range(n):
        keys |= padded[at + k] << np.uint64(k * bits)
    return keys


def scores(t: dict) -> dict:
    """The metrics of a tally (one chunk's, or the sum of many)."""
    n = t["rows"]
    cer = _rate(t["char_errors"], t["ref_chars"])
    input_cer = _rate(t["input_char_errors"], t["ref_chars"])
    precision = t["true_edits"] / t["proposed_edits"] if t["proposed_edits"] else 1.0  # none proposed: none wrong
    recall = t["true_edits"] / t["gold_edits"] if t["gold_edits"] else 1.0  # nothing to fix: nothing missed
    return {
        "rows": n,
        "exact_match": round(t["exact"] / n, 4),
        "cer": round(cer, 4),
        "wer": round(_rate(t["word_errors"], t["ref_words"]), 4),
        "chrf": round(_CHRF.score(t["chrf"]), 4),
        "edit_precision": round(precision, 4),
        "edit_recall": round(recall, 4),
        "edit_f05": round(_f_beta(precision, recall), 4),
        # negative when the model makes things worse than leaving the input alone
        "error_reduction": round(1 - cer / input_cer, 4) if input_cer else 0.0,
        "input_cer": round(input_cer, 4),
        "untouched_rows": t["untouched"],
        # a de-spinner will meet unspun text too; rewriting it is damage the spun-row metrics can hide
        "harm": round(t["harmed"] / t["untouched"], 4) if t["untouched"] else 0.0,
        "spun_rows": n - t["untouched"],
    }


def detector_scores(labels: list[int], scores: list[float], threshold: float) -> dict:
    """How well `scores` (higher = more likely spun) separate spun rows (label 1) from clean ones (0).

    ROC AUC is threshold-free (the chance a random spun row outscores a random clean one, ties half);
    precision/recall/F1/accuracy are at `score >= threshold`, the operating point actually used.
    Precision is 0.0 when nothing is flagged and recall 0.0 when there are no spun rows.
    """
    n = len(labels)
    if n != len(scores):
        raise ValueError(f"lengths differ: {n} labels, {len(scores)} scores")
    if any(label not in (0, 1) for label in labels):
        raise ValueError("labels must be 0 (clean) or 1 (spun)")
    positives = sum(labels)
    negatives = n - positives

    roc_auc = None
    if positives and negatives:
        order = sorted(range(n), key=lambda k: scores[k])
        ranks = [0.0] * n
        i = 0
        while i < n:  # tied scores share their mean rank (1-based)
            j = i
            while j + 1 < n and scores[order[j + 1]] == scores[order[i]]:
                j += 1
            for k in range(i, j + 1):
                ranks[order[k]] = (i + j) / 2 + 1
            i = j + 1
        rank_sum = sum(r for r, label in zip(ranks, labels) if label)
        roc_auc = round((rank_sum - positives * (positives + 1) / 2) / (positives * negatives), 4)

    flagged = [s >= threshold for s in scores]
    tp = sum(f and label == 1 for f, label in zip(flagged, labels))
    fp = sum(f and label == 0 for f, label in zip(flagged, labels))
    tn = sum(not f and label == 0 for f, label in zip(flagged, labels))
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / positives if positives else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "rows": n,
        "positives": positives,
        "roc_auc": roc_auc,
        "precision": round(precision, 4),
        "recall": round(recall, 4),
        "f1": round(f1, 4),
        "threshold": threshold,
        "accuracy": round((tp + tn) / n, 4) if n else 0.0,
    }


def _cell(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.4f}"
    return str(value)


def format_table(results: dict[str, dict], keys: list[str]) -> str:
    """Plain-text table, one row per result name and one column per key, to compare models at a glance.

    Numbers are right-aligned with 4 decimals; a missing key or a None (e.g. roc_auc with one class) shows "-".
    """
    header = ["name", *keys]
    body = [[name, *(_cell(result.get(key)) for key in keys)] for name, result in results.items()]
    widths = [max(len(row[c]) for row in [header, *body]) for c in range(len(header))]

    def line(row: list[str]) -> str:
        cells = [row[0].ljust(widths[0])] + [cell.rjust(w) for cell, w in zip(row[1:], widths[1:])]
        return "  ".join(cells).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(header), rule, *(line(row) for row in body)])

"""The local engine hands its task to the workers by forking, not by pickling it per item: a task may hold
n-gram tables of hundreds of MB (the spin detector's) or things that do not pickle at all."""

import json
import threading
from pathlib import Path

from corpus.pipeline.engine import LocalEngine

WIKI = Path(__file__).resolve().parents[2] / "shared" / "corpora" / "viwiki-politics.jsonl"


class CountKnown:
    """How many syllables of a paragraph a vocabulary knows; the lock makes the task unpicklable."""

    def __init__(self, vocabulary: set[str]):
        self.vocabulary, self.lock, self.lower = vocabulary, threading.Lock(), lambda s: s.lower()

    def __call__(self, paragraph: str) -> tuple[int, int]:
        with self.lock:
            words = [self.lower(w) for w in paragraph.split()]
        return sum(w in self.vocabulary for w in words), len(words)


def test_a_task_that_cannot_be_pickled_runs_on_two_workers_with_the_results_of_one():
    with WIKI.open(encoding="utf-8") as f:
        articles = [json.loads(next(f))["text"] for _ in range(6)]
    vocabulary = {w.lower() for w in articles[0].split()}
    paragraphs = [p for a in articles[1:] for p in a.split("\n") if p.strip()]
    assert any("ộ" in p or "ư" in p for p in paragraphs)
    task = CountKnown(vocabulary)
    one = list(LocalEngine(1).map(task, paragraphs))
    with LocalEngine(2) as engine:
        two = list(engine.map(task, paragraphs))
        again = list(engine.map(CountKnown({"của", "và"}), paragraphs[:20]))  # a later map forks its own task
    assert two == one and len(one) == len(paragraphs)
    assert 0 < sum(k for k, _ in one) < sum(n for _, n in one)
    assert again == [CountKnown({"của", "và"})(p) for p in paragraphs[:20]]

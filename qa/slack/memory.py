"""Small bounded in-memory stores: thread history (LRU) and seen ids (for de-duplication)."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable

from qa.models import Answer, Turn

ThreadKey = tuple[str, str]  # (channel id, thread ts)


class ThreadMemory:
    """The questions and answers of recent threads, least recently used evicted first."""

    def __init__(self, max_threads: int = 2000, max_turns: int = 10) -> None:
        self.max_threads = max_threads
        self.max_turns = max_turns
        self._threads: OrderedDict[ThreadKey, list[Turn]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: ThreadKey) -> list[Turn] | None:
        """The thread's turns (oldest first), or None when this process has not seen the thread."""
        with self._lock:
            turns = self._threads.get(key)
            if turns is None:
                return None
            self._threads.move_to_end(key)
            return list(turns)

    def put(self, key: ThreadKey, turns: list[Turn]) -> None:
        with self._lock:
            self._threads[key] = list(turns[-self.max_turns :])
            self._threads.move_to_end(key)
            self._evict()

    def append(self, key: ThreadKey, turn: Turn) -> None:
        with self._lock:
            turns = self._threads.setdefault(key, [])
            turns.append(turn)
            del turns[: -self.max_turns]
            self._threads.move_to_end(key)
            self._evict()

    def _evict(self) -> None:
        while len(self._threads) > self.max_threads:
            self._threads.popitem(last=False)


class SeenIds:
    """Ids seen in the last `ttl_s` seconds (at most `max_items`): `first_time` is True once per id."""

    def __init__(self, max_items: int = 10000, ttl_s: float = 3600.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.max_items = max_items
        self.ttl_s = ttl_s
        self._clock = clock
        self._seen: OrderedDict[Hashable, float] = OrderedDict()
        self._lock = threading.Lock()

    def first_time(self, key: Hashable) -> bool:
        now = self._clock()
        with self._lock:
            while self._seen:
                oldest_key, seen_at = next(iter(self._seen.items()))
                if now - seen_at <= self.ttl_s and len(self._seen) < self.max_items:
                    break
                del self._seen[oldest_key]
            if key in self._seen:
                return False
            self._seen[key] = now
            return True

    def forget(self, key: Hashable) -> None:
        """`key` counts as unseen again (its handling failed and may be retried)."""
        with self._lock:
            self._seen.pop(key, None)

    def __contains__(self, key: Hashable) -> bool:
        with self._lock:
            seen_at = self._seen.get(key)
            return seen_at is not None and self._clock() - seen_at <= self.ttl_s


class AnswerCache:
    """Recent answers by id, so "Share in channel" can post the very answer the user saw."""

    def __init__(self, max_items: int = 500) -> None:
        self.max_items = max_items
        self._answers: OrderedDict[str, Answer] = OrderedDict()
        self._lock = threading.Lock()

    def put(self, answer: Answer) -> None:
        if not answer.answer_id:
            return
        with self._lock:
            self._answers[answer.answer_id] = answer
            self._answers.move_to_end(answer.answer_id)
            while len(self._answers) > self.max_items:
                self._answers.popitem(last=False)

    def get(self, answer_id: str) -> Answer | None:
        with self._lock:
            return self._answers.get(answer_id)

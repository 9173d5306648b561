"""The fourth to twenty-second fresh Xiaomi sets (eval/xiaomi-fresh4.jsonl to eval/xiaomi-fresh22.jsonl): each
written blind after the set before it was scored. Schema, ids, mix, no question of the earlier sets, evidence
verbatim in the seeds and every gold answer held by its evidence."""

from __future__ import annotations

from collections import Counter

import pytest

from qa.evaluation.metrics import contains_answer
from tests.test_eval_sets_held_out import ROOT, _check_fresh_xiaomi_items, _lines

SETS = ("questions.jsonl", "xiaomi-fresh.jsonl", "xiaomi-fresh2.jsonl", "xiaomi-fresh3.jsonl", "xiaomi-fresh4.jsonl",
        "xiaomi-fresh5.jsonl", "xiaomi-fresh6.jsonl", "xiaomi-fresh7.jsonl", "xiaomi-fresh8.jsonl",
        "xiaomi-fresh9.jsonl", "xiaomi-fresh10.jsonl", "xiaomi-fresh11.jsonl", "xiaomi-fresh12.jsonl",
        "xiaomi-fresh13.jsonl", "xiaomi-fresh14.jsonl", "xiaomi-fresh15.jsonl",
        "xiaomi-fresh16.jsonl", "xiaomi-fresh17.jsonl", "xiaomi-fresh18.jsonl", "xiaomi-fresh19.jsonl",
        "xiaomi-fresh20.jsonl", "xiaomi-fresh21.jsonl", "xiaomi-fresh22.jsonl")
WANT = {
    "table": 14,
    "numeric": 14,
    "entity": 7,
    "date": 5,
    "list": 4,
    "definition": 3,
    "yes_no": 3,
    "cross_report": 2,
    "unanswerable": 8,
}


@pytest.mark.parametrize("n", [4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22])
def test_fresh_xiaomi_set_is_a_locked_test_set_over_the_seeds(n: int) -> None:
    name = f"xiaomi-fresh{n}.jsonl"
    earlier = SETS[: SETS.index(name)]
    items = _lines(ROOT / "eval" / name)
    assert len(items) >= 60
    _check_fresh_xiaomi_items(items, f"xf{n}-", earlier)
    # no id of an earlier fresh set, and no question text twice
    earlier_ids = {q["id"] for e in earlier[1:] for q in _lines(ROOT / "eval" / e)}
    assert not earlier_ids & {q["id"] for q in items}
    assert len({q["question"].lower() for q in items}) == len(items)
    assert Counter(q["type"] for q in items) == WANT
    # every gold answer (list, yes_no and definition included) is held by its evidence
    for q in items:
        assert all(contains_answer(" ".join(q["evidence"]), a) for a in q["answers"]), q["id"]

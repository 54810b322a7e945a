"""Print per-intent precision/recall, the confusion matrix and messages/s.

Run: `python -m tests.dialogs.nlu.evaluate [train|test|all]` (default: test).
"""

from __future__ import annotations

import sys
import time
from collections import Counter

from dialogs.nlu import INTENTS, understand
from tests.dialogs.nlu.dataset import TODAY, load, predict


def main(split: str = "test") -> None:
    examples = load(None if split == "all" else split)
    pairs: Counter[tuple[str, str]] = Counter()
    misses = []
    entity_rows = entity_ok = 0
    for example in examples:
        intent, entities = predict(example)
        pairs[(example.intent, intent)] += 1
        if intent != example.intent:
            misses.append(f"  {example.intent:>15} → {intent:<15} {example.text}")
        if example.entities:
            entity_rows += 1
            entity_ok += entities == example.entities
            if entities != example.entities:
                misses.append(f"  entities {example.entities} ≠ {entities}: {example.text}")
    correct = sum(count for (gold, got), count in pairs.items() if gold == got)
    print(
        f"{split}: {len(examples)} messages, accuracy {correct / len(examples):.3f}, "
        f"entities exact {entity_ok}/{entity_rows}"
    )
    print(f"{'intent':>15}  prec   rec  n")
    for intent in INTENTS:
        tp = pairs[(intent, intent)]
        predicted = sum(c for (_, got), c in pairs.items() if got == intent)
        actual = sum(c for (gold, _), c in pairs.items() if gold == intent)
        if actual or predicted:
            print(
                f"{intent:>15} {tp / predicted if predicted else 0:5.2f} "
                f"{tp / actual if actual else 0:5.2f} {actual:2d}"
            )
    short = {intent: intent[:4] + intent[-2:] if len(intent) > 6 else intent for intent in INTENTS}
    labels = [i for i in INTENTS if any(i in pair for pair in pairs)]
    print("\nconfusion (rows = expected, columns = predicted)")
    print(" " * 15 + "".join(f"{short[i]:>7}" for i in labels))
    for gold in labels:
        print(f"{gold:>15}" + "".join(f"{pairs[(gold, got)] or '.':>7}" for got in labels))
    if misses:
        print("\nmisses:")
        print("\n".join(misses))
    texts = [example.text for example in load()]
    rounds = 20
    started = time.perf_counter()
    for _ in range(rounds):
        for text in texts:
            understand(text, today=TODAY)
    elapsed = time.perf_counter() - started
    print(f"\nthroughput: {rounds * len(texts) / elapsed:,.0f} messages/s (one core)")


if __name__ == "__main__":
    main(*sys.argv[1:2])

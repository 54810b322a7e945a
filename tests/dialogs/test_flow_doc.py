"""docs/flow.md shows the flow as it really is: regenerated from the table, never hand-edited."""

from __future__ import annotations

from pathlib import Path

from dialogs.flow.graph import to_mermaid

DOC = Path(__file__).resolve().parents[2] / "docs" / "flow.md"


def test_the_flow_diagram_in_docs_matches_the_transition_table() -> None:
    text = DOC.read_text(encoding="utf-8")
    diagram = text.split("```mermaid\n", 1)[1].split("```", 1)[0]
    assert diagram.strip() == to_mermaid().strip(), (
        "docs/flow.md is stale: regenerate it with `python -m dialogs.flow.graph`"
    )

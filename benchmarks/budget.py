"""The performance budget as a table: each figure measured, its target, and whether it is met."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Figure:
    """One measured figure of the budget (DESIGN.md, "Performance budget")."""

    name: str
    value: float
    unit: str
    #: The bound to meet; None for a figure shown for information.
    target: float | None = None
    #: A throughput ratio must reach its target; a time, a size or a count must stay under it.
    at_least: bool = False

    @property
    def passed(self) -> bool | None:
        if self.target is None:
            return None
        return self.value >= self.target if self.at_least else self.value < self.target

    def cell(self) -> str:
        mark = {True: "pass", False: "FAIL", None: "-"}[self.passed]
        return f"{_number(self.value)} {self.unit} {mark}".replace("  ", " ")

    def target_text(self) -> str:
        if self.target is None:
            return ""
        return f"{'>=' if self.at_least else '<'} {_number(self.target)} {self.unit}".rstrip()


def _number(value: float) -> str:
    if value >= 100:
        return f"{value:,.0f}"
    if value >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def table(results: dict[str, list[Figure]]) -> str:
    """A Markdown table: a row per figure, its target, a column per database."""
    columns = list(results)
    rows: dict[str, dict[str, Figure]] = {}
    for column, figures in results.items():
        for figure in figures:
            rows.setdefault(figure.name, {})[column] = figure
    lines = ["| figure | target | " + " | ".join(columns) + " |", "| --- | --- |" + " --- |" * len(columns)]
    for name, by_column in rows.items():
        targets = {figure.target_text() for figure in by_column.values()}
        target = targets.pop() if len(targets) == 1 else " / ".join(
            f"{column}: {by_column[column].target_text()}" for column in columns if column in by_column)
        cells = [by_column[column].cell() if column in by_column else "not measured" for column in columns]
        lines.append(f"| {name} | {target} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def failures(results: dict[str, list[Figure]]) -> list[str]:
    return [f"{column}: {figure.name}" for column, figures in results.items() for figure in figures
            if figure.passed is False]

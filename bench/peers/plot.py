"""The side-by-side figure of docs/benchmarks.md: calls/s per target and tool (median bar, range whisker)."""
from __future__ import annotations

from pathlib import Path
from typing import Any


def plot(results: dict[tuple[str, str], dict[str, Any]], labels: dict[str, str], path: Path, title: str) -> None:
    """Write a PNG of `results` ((tool, target key) -> median/low/high) to `path`."""
    import matplotlib

    matplotlib.use("Agg")  # no screen: render straight to the file
    import matplotlib.pyplot as plt

    tools = [t for t in ("search", "fetch") if any(k[0] == t for k in results)]
    keys = [k for k in labels if any((t, k) in results for t in tools)]
    fig, axes = plt.subplots(1, len(tools), figsize=(5.2 * len(tools), 3.6), squeeze=False, sharey=True)
    colours = {"ours": "#2b6cb0", "sdk": "#c05621", "bare": "#718096"}
    for ax, tool in zip(axes[0], tools):
        shown = [k for k in keys if (tool, k) in results]
        medians = [results[(tool, k)]["median"] for k in shown]
        low = [m - results[(tool, k)]["low"] for m, k in zip(medians, shown)]
        high = [results[(tool, k)]["high"] - m for m, k in zip(medians, shown)]
        colour = [colours["sdk"] if k == "sdk" else colours["bare"] if k == "bare" else colours["ours"] for k in shown]
        bars = ax.barh(range(len(shown)), medians, xerr=[low, high], color=colour, capsize=3)
        ax.bar_label(bars, labels=[f"{m:.0f}" for m in medians], padding=14, fontsize=8)
        ax.set_yticks(range(len(shown)), [labels[k] for k in shown], fontsize=8)
        ax.invert_yaxis()
        ax.set_xlabel("calls/s (median of rounds; whisker: range)", fontsize=8)
        ax.set_title(f"tools/call {tool}", fontsize=10)
        ax.set_xlim(0, max(r["high"] for r in results.values()) * 1.25)
    fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)

"""Plots of bench/scenarios/peers-compare.bench.ts results: one set of SVGs per bench/results/peers-<scenario>*.json.

    bash bench/report/install-plots.sh
    bench/.venv-plots/bin/python bench/report/plot-peers.py [--results bench/results] [--out docs/img]

For each results file F (scenario idle, fanout, saturation, slow or storm, from its name) it
writes docs/img/F-latency.svg (p50 and p99), F-throughput.svg (delivered frames/s) and, when
any row has it, F-rss.svg (RSS per connection): against connections, or against the offered
rate for saturation; bars per server when the file has a single x value. One colour per server
in every plot. A file that breaks the contract stops the script with the file, row and field.
"""

import argparse
import json
import sys
from pathlib import Path

import matplotlib

matplotlib.use("svg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib import ticker  # noqa: E402

SCENARIOS = ("idle", "fanout", "saturation", "slow", "storm")
# Fixed per server, so a server looks the same in every plot.
SERVERS = {
    "blockcast": ("blockcast", "#1f5fbf"),
    "centrifugo": ("Centrifugo", "#e8730c"),
    "socketio": ("Socket.IO", "#2a9d3c"),
    "planetmint": ("Planetmint 2.5.3", "#8e44ad"),
    "raw-uws": ("raw uWS loop", "#7f7f7f"),
    "ws": ("ws loop", "#a0522d"),
}
NUMBER = (int, float)
# Idle rows have no latency or CPU per frame, nor does a server that delivered no timed frame: null.
OPTIONAL_NUMBER = (int, float, type(None))
ROW_FIELDS = {
    "server": str,
    "connections": NUMBER,
    "offeredFramesPerSecond": NUMBER,
    "deliveredFramesPerSecond": NUMBER,
    "p50Ms": OPTIONAL_NUMBER,
    "p99Ms": OPTIONAL_NUMBER,
    "maxMs": OPTIONAL_NUMBER,
    "cpuSecondsPerThousandFrames": OPTIONAL_NUMBER,
    "rssBytesPerConnection": (int, float, type(None)),
    "serverRssBytes": NUMBER,
    "lost": NUMBER,
    "duplicated": NUMBER,
    "reordered": NUMBER,
    "recovered": (bool, type(None)),
    "note": str,
}


class ContractError(Exception):
    """A results file that does not follow the peers-*.json contract."""


def scenario_of(path):
    name = path.stem.removeprefix("peers-")
    scenario = name.split("-")[0]
    if scenario not in SCENARIOS:
        raise ContractError(f"{path}: the name must be peers-<{'|'.join(SCENARIOS)}>[-…].json, got {path.name}")
    return scenario


def load(path):
    try:
        document = json.loads(path.read_text())
    except json.JSONDecodeError as error:
        raise ContractError(f"{path}: not JSON ({error})") from None
    for key in ("machine", "command", "startedAt", "rows"):
        if key not in document:
            raise ContractError(f"{path}: missing top-level field {key!r}")
    if not isinstance(document["rows"], list) or not document["rows"]:
        raise ContractError(f"{path}: rows must be a non-empty list")
    for index, row in enumerate(document["rows"]):
        for field, kinds in ROW_FIELDS.items():
            if field not in row:
                raise ContractError(f"{path}: rows[{index}] has no {field!r}")
            value = row[field]
            # bool is an int in Python: a true/false where a number belongs is still wrong.
            if not isinstance(value, kinds) or (isinstance(value, bool) and kinds is NUMBER):
                raise ContractError(f"{path}: rows[{index}].{field} is {json.dumps(value)}, not {kind_names(kinds)}")
        if row["server"] not in SERVERS:
            raise ContractError(f"{path}: rows[{index}].server {row['server']!r} is not one of {', '.join(SERVERS)}")
    return document


def kind_names(kinds):
    kinds = kinds if isinstance(kinds, tuple) else (kinds,)
    return " or ".join("null" if kind is type(None) else kind.__name__ for kind in kinds)


def x_axis(scenario):
    if scenario == "saturation":
        return "offeredFramesPerSecond", "offered frames/s (all clients)"
    return "connections", "connections"


def by_server(rows, x_field):
    """server → rows sorted by x, servers in the fixed order."""
    grouped = {}
    for row in rows:
        grouped.setdefault(row["server"], []).append(row)
    return {server: sorted(grouped[server], key=lambda r: r[x_field]) for server in SERVERS if server in grouped}


def title(document, scenario, what):
    machine = document["machine"]
    where = ", ".join(str(machine[key]) for key in ("cpu", "nproc") if key in machine)
    return f"{scenario}: {what}\n{document['startedAt']}" + (f" · {where} cores" if where else "")


def log_scale_if_wide(axis, values, which):
    positive = [v for v in values if v > 0]
    if positive and max(positive) / min(positive) >= 20:
        (axis.set_xscale if which == "x" else axis.set_yscale)("log")
        # Plain numbers at 1, 2 and 5 of each decade: a reader should not have to decode 10^x.
        scale = axis.xaxis if which == "x" else axis.yaxis
        scale.set_major_locator(ticker.LogLocator(base=10, subs=(1, 2, 5)))
        scale.set_major_formatter(ticker.FuncFormatter(lambda value, _: f"{value:,.10g}".replace(",", " ")))
        scale.set_minor_formatter(ticker.NullFormatter())


def line_plot(ax, groups, x_field, series):
    """series: (field, line style, label suffix); one line per server and series."""
    for server, rows in groups.items():
        label, colour = SERVERS[server]
        for field, style, suffix in series:
            points = [(r[x_field], r[field]) for r in rows if r[field] is not None]
            if points:
                xs, ys = zip(*points)
                ax.plot(xs, ys, style, color=colour, marker="o", label=f"{label}{suffix}")
    log_scale_if_wide(ax, [r[x_field] for rows in groups.values() for r in rows], "x")


def bar_plot(ax, groups, series):
    """One group of bars per server (the file has a single x value); series as in line_plot."""
    width = 0.8 / len(series)
    for position, (server, rows) in enumerate(groups.items()):
        label, colour = SERVERS[server]
        for offset, (field, style, suffix) in enumerate(series):
            value = rows[-1][field]
            if value is None:
                continue
            hatch = "//" if style == "--" else None
            ax.bar(position + (offset - (len(series) - 1) / 2) * width, value, width, color=colour,
                   alpha=0.55 if hatch else 1.0, hatch=hatch, edgecolor=colour,
                   label=f"{label}{suffix}")
    ax.set_xticks(range(len(groups)), [SERVERS[server][0] for server in groups])


def render(document, scenario, rows, series, y_label, what, out):
    x_field, x_label = x_axis(scenario)
    groups = by_server(rows, x_field)
    fig, ax = plt.subplots(figsize=(8, 4.8))
    single = len({row[x_field] for row in rows}) == 1
    if single:
        bar_plot(ax, groups, series)
        ax.set_xlabel(f"server, at {rows[0][x_field]:,.0f} {x_label}")
    else:
        line_plot(ax, groups, x_field, series)
        ax.set_xlabel(x_label)
        if scenario == "saturation" and series[0][0] == "deliveredFramesPerSecond":
            xs = sorted({row[x_field] for row in rows})
            ax.plot(xs, xs, ":", color="black", linewidth=1, label="delivered = offered")
        if scenario == "saturation" and series[0][0] == "p50Ms":
            ax.axhline(1000, linestyle=":", color="black", linewidth=1, label="p99 limit, 1 s")
    values = [row[field] for row in rows for field, _, _ in series if row[field] is not None]
    log_scale_if_wide(ax, values, "y")
    ax.set_ylabel(y_label)
    ax.set_title(title(document, scenario, what), fontsize=10)
    ax.grid(True, which="major", axis="y", alpha=0.3)
    ax.legend(fontsize=8, ncol=2 if len(groups) * len(series) > 6 else 1)
    fig.tight_layout()
    fig.savefig(out, metadata={"Date": None})
    plt.close(fig)
    return out


def plot_file(path, scenario, document, out_dir):
    rows = document["rows"]
    written = []
    # Idle rows carry no traffic: no latency or throughput plot for a file without any.
    if any(row["p50Ms"] is not None for row in rows):
        written.append(render(document, scenario, rows,
                              [("p50Ms", "--", " p50"), ("p99Ms", "-", " p99")],
                              "latency, append → receive (ms)", "latency percentiles",
                              out_dir / f"{path.stem}-latency.svg"))
    if any(row["deliveredFramesPerSecond"] > 0 for row in rows):
        written.append(render(document, scenario, rows,
                              [("deliveredFramesPerSecond", "-", "")],
                              "delivered frames/s (all clients)", "delivered frames/s",
                              out_dir / f"{path.stem}-throughput.svg"))
    with_rss = [row for row in rows if row["rssBytesPerConnection"] is not None]
    if with_rss:
        kib = [{**row, "rssKiB": row["rssBytesPerConnection"] / 1024} for row in with_rss]
        written.append(render(document, scenario, kib, [("rssKiB", "-", "")],
                              "server RSS per connection (KiB)", "RSS per connection",
                              out_dir / f"{path.stem}-rss.svg"))
    return written


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    root = Path(__file__).resolve().parents[2]
    parser.add_argument("--results", type=Path, default=root / "bench/results")
    parser.add_argument("--out", type=Path, default=root / "docs/img")
    args = parser.parse_args()
    files = sorted(args.results.glob("peers-*.json"))
    if not files:
        print(f"no peers-*.json in {args.results}: run bench/scenarios/peers-compare.bench.ts first", file=sys.stderr)
        return 2
    try:
        # Every file is checked before any plot is written: a bad one leaves docs/img as it was.
        loaded = [(path, scenario_of(path), load(path)) for path in files]
    except ContractError as error:
        print(f"plot-peers: {error}", file=sys.stderr)
        return 2
    plt.rcParams["svg.hashsalt"] = "blockcast"  # the same input gives the same SVG bytes
    args.out.mkdir(parents=True, exist_ok=True)
    for path, scenario, document in loaded:
        for written in plot_file(path, scenario, document, args.out):
            print(written)
    return 0


if __name__ == "__main__":
    sys.exit(main())

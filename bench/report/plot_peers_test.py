"""Checks of bench/report/plot-peers.py on results written here (not in npm test: it needs bench/.venv-plots).

    bench/.venv-plots/bin/python -m unittest bench/report/plot_peers_test.py
"""

import contextlib
import importlib.util
import io
import json
import sys
import tempfile
import unittest
from pathlib import Path

SCRIPT = Path(__file__).resolve().parent / "plot-peers.py"
spec = importlib.util.spec_from_file_location("plot_peers", SCRIPT)
plot_peers = importlib.util.module_from_spec(spec)
spec.loader.exec_module(plot_peers)


def row(server, connections, offered, **fields):
    return {
        "server": server,
        "connections": connections,
        "offeredFramesPerSecond": offered,
        "deliveredFramesPerSecond": offered * 0.9,
        "p50Ms": 5.0,
        "p99Ms": 50.0,
        "maxMs": 80.0,
        "cpuSecondsPerThousandFrames": 0.01,
        "rssBytesPerConnection": 4096,
        "serverRssBytes": 100_000_000,
        "lost": 0,
        "duplicated": 0,
        "reordered": 0,
        "recovered": None,
        "note": "",
        **fields,
    }


def document(rows):
    return {"machine": {"cpu": "test", "nproc": 2}, "command": "test", "startedAt": "2026-12-01T00:00:00Z", "rows": rows}


class PlotPeers(unittest.TestCase):
    def setUp(self):
        self.dir = Path(tempfile.mkdtemp())
        self.results = self.dir / "results"
        self.out = self.dir / "img"
        self.results.mkdir()

    def write(self, name, rows):
        (self.results / name).write_text(json.dumps(document(rows)))

    def run_script(self, out=None):
        argv, sys.argv = sys.argv, ["plot-peers.py", "--results", str(self.results), "--out", str(out or self.out)]
        stderr = io.StringIO()
        try:
            with contextlib.redirect_stderr(stderr), contextlib.redirect_stdout(io.StringIO()):
                code = plot_peers.main()
        finally:
            sys.argv = argv
        return code, stderr.getvalue()

    def test_every_server_keeps_its_colour_in_every_plot(self):
        servers = list(plot_peers.SERVERS)
        self.write("peers-fanout.json", [row(server, 10_000, 1_000_000) for server in servers])
        self.write("peers-idle.json", [row(server, n, 0) for server in servers for n in (1_000, 19_500)])
        self.assertEqual(self.run_script()[0], 0)
        for svg in ("peers-fanout-latency.svg", "peers-fanout-throughput.svg", "peers-idle-rss.svg"):
            text = (self.out / svg).read_text()
            for server, (_, colour) in plot_peers.SERVERS.items():
                self.assertIn(colour, text, f"{server}'s colour missing from {svg}")

    def test_saturation_is_plotted_against_the_offered_rate(self):
        self.write("peers-saturation.json", [row("blockcast", 1_000, rate) for rate in (10_000, 100_000, 1_000_000)])
        self.assertEqual(self.run_script()[0], 0)
        text = (self.out / "peers-saturation-throughput.svg").read_text()
        self.assertIn("offered frames/s", text)
        self.assertIn("delivered = offered", text)

    def test_the_same_input_gives_the_same_bytes(self):
        self.write("peers-idle.json", [row("planetmint", n, 0) for n in (1_000, 19_500)])
        self.run_script(self.dir / "a")
        self.run_script(self.dir / "b")
        first = (self.dir / "a/peers-idle-rss.svg").read_bytes()
        self.assertEqual(first, (self.dir / "b/peers-idle-rss.svg").read_bytes())

    def test_a_row_breaking_the_contract_names_file_row_and_field_and_nothing_is_written(self):
        self.write("peers-fanout.json", [row("blockcast", 10_000, 1_000)])
        self.write("peers-slow.json", [row("blockcast", 10_000, 1_000), row("ws", 10_000, 1_000, lost="none")])
        code, stderr = self.run_script()
        self.assertEqual(code, 2)
        self.assertIn("peers-slow.json: rows[1].lost is \"none\"", stderr)
        self.assertFalse(self.out.exists(), "a plot was written although a file was refused")

    def test_an_unknown_scenario_or_server_is_refused(self):
        self.write("peers-burst.json", [row("blockcast", 10_000, 1_000)])
        code, stderr = self.run_script()
        self.assertEqual(code, 2)
        self.assertIn("peers-burst.json", stderr)
        (self.results / "peers-burst.json").unlink()
        self.write("peers-storm.json", [row("nginx", 10_000, 1_000)])
        code, stderr = self.run_script()
        self.assertEqual(code, 2)
        self.assertIn("rows[0].server 'nginx'", stderr)


if __name__ == "__main__":
    unittest.main()

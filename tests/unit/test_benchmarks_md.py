"""Each benchmark rewrites only its own section of BENCHMARKS.md."""

from __future__ import annotations

from pathlib import Path

from scripts.benchmarks_md import write_section


def test_a_section_is_appended_then_replaced_in_place_leaving_the_others(tmp_path: Path) -> None:
    path = tmp_path / "BENCHMARKS.md"
    write_section("a", "## a\n\nold a", path)
    write_section("b", "## b\n\nb figures", path)
    write_section("a", "## a\n\nnew a\n", path)
    text = path.read_text(encoding="utf-8")
    assert text.startswith("# Benchmarks\n")
    assert "old a" not in text
    assert text.index("new a") < text.index("b figures")  # replaced where it stood
    assert text.count("<!-- a:start -->") == 1
    assert text.count("<!-- b:end -->") == 1


def test_the_committed_file_has_one_section_per_benchmark() -> None:
    text = (Path(__file__).resolve().parents[2] / "BENCHMARKS.md").read_text(encoding="utf-8")
    for name in (
        "emission-factors",
        "carbon-calculation",
        "webhook-ingest",
        "leaderboard",
        "local-stack",
        "ingest-throughput",
        "realtime",
        "executions",
        "one-sender-burst",
    ):
        assert text.count(f"<!-- {name}:start -->") == 1
        assert text.count(f"<!-- {name}:end -->") == 1

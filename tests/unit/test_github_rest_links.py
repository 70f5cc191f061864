"""Pages are followed by path and query only: a Link to another host is refused, so the token goes nowhere else."""

from __future__ import annotations

import pytest

from ecotrace.adapters.github_rest import next_link
from ecotrace.errors import UpstreamError

BASE = "https://api.github.com"


def test_the_next_link_becomes_a_path_with_its_query() -> None:
    header = (
        '<https://api.github.com/repositories/1/actions/runs?per_page=100&page=2>; rel="next", '
        '<https://api.github.com/repositories/1/actions/runs?per_page=100&page=9>; rel="last"'
    )
    assert next_link(header, BASE) == "/repositories/1/actions/runs?per_page=100&page=2"
    assert next_link('<https://api.github.com/x?page=9>; rel="last"', BASE) is None
    assert next_link("", BASE) is None


def test_an_enterprise_base_path_is_kept_out_of_the_page_address() -> None:
    header = '<https://ghe.example/api/v3/repos/o/r/commits?page=3>; rel="next"'
    assert next_link(header, "https://ghe.example/api/v3") == "/repos/o/r/commits?page=3"


def test_a_link_to_another_host_is_refused() -> None:
    with pytest.raises(UpstreamError, match="another host"):
        next_link('<https://evil.example/steal?page=2>; rel="next"', BASE)

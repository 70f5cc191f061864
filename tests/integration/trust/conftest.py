"""One local stack with the four functions, the known secrets, and GitHub and Electricity Maps played by fakes
(``stack``, emptied before each test, comes from tests/integration/conftest.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ecotrace_local.testing import StackHandle
from tests.fakes.electricity_maps import FakeElectricityMaps
from tests.fakes.github_api import FakeGitHub
from tests.integration.project_stack import project_stack
from tests.integration.trust.trust_world import (
    ADA,
    BOB,
    EM_KEY,
    GITHUB_TOKEN,
    WEBHOOK_SECRET,
    restored_environment,
)


@pytest.fixture(scope="module")
def github() -> Iterator[FakeGitHub]:
    with FakeGitHub(token=GITHUB_TOKEN) as fake:
        for person in (ADA, BOB):
            fake.add_user(person.token, person.github_id, person.login)
        yield fake


@pytest.fixture(scope="module")
def em() -> Iterator[FakeElectricityMaps]:
    with FakeElectricityMaps(api_key=EM_KEY) as fake:
        yield fake


def trust_env(github: FakeGitHub, em: FakeElectricityMaps, **extra: str) -> dict[str, str]:
    return {
        "GITHUB_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "GITHUB_TOKEN": GITHUB_TOKEN,
        "GITHUB_API_URL": github.base_url,
        "ELECTRICITY_MAPS_API_KEY": EM_KEY,
        "ELECTRICITY_MAPS_BASE_URL": em.base_url,
        **extra,
    }


@pytest.fixture(scope="module")
def module_stack(
    github: FakeGitHub, em: FakeElectricityMaps, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[StackHandle]:
    with restored_environment(), project_stack(tmp_path_factory.mktemp("trust"), env=trust_env(github, em)) as handle:
        yield handle

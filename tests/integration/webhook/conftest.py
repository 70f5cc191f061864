"""The webhook function on the local stack: one stack per module (secret = GitHub's documented test secret),
emptied before each test. Only the github-webhook function is deployed, so no other function's row trigger
changes rows while a test compares them."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ecotrace_local.testing import StackHandle
from tests.integration.project_stack import project_stack
from tests.integration.webhook.wh_http import SECRET


@pytest.fixture(scope="module")
def module_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StackHandle]:
    env = {"GITHUB_WEBHOOK_SECRET": SECRET}
    with project_stack(tmp_path_factory.mktemp("webhook-stack"), functions=["github-webhook"], env=env) as handle:
        yield handle

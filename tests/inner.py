"""Pieces of the inner test suites that pytester runs (record, then replay offline)."""

# The fake server when the inner run is scripted (SCRIPTED=1), else None: a replay run has
# no server and no credentials, so a step that still asks the model fails loudly.
SCRIPTED_MODEL_FIXTURE = '''
import os
import pytest

@pytest.fixture
def model(request):
    if os.environ.get("SCRIPTED") != "1":
        yield None
        return
    yield request.getfixturevalue("cua_fake_server")
'''

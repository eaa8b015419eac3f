"""The pytest glue, one module per feature, each with its own hooks, fixtures and stash
keys; `pytest_cua.plugin` loads them all through `pytest_plugins`."""

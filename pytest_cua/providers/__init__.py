"""Deprecated: the provider internals are private now (`pytest_cua._providers`). Only
`pytest_cua.providers.base.paced_http_client`, which the docs named, is kept, for one
release: use `pytest_cua.paced_http_client`."""

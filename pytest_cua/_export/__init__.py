"""Export to plain Playwright (`--cua-export`): recorded steps as pytest-playwright code."""

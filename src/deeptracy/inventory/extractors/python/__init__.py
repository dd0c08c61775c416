"""PyPI extractors: requirements files, pyproject.toml, poetry.lock, Pipfile.lock, pdm.lock,
uv.lock and pylock.toml."""

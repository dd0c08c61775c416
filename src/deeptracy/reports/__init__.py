"""Report writers (table, JSON, SARIF, CycloneDX, markdown) shared by the CLI, API and dashboard.

Each writer renders a `Report` to a string and never prints; `get_writer` finds one by name.
"""

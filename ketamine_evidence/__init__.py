"""ketamine-evidence: one installed package.

The subpackages live in the repository's top-level folders (`flows/`, `extract/`, `transform/`,
`warehouse/`); the entries here are relative symlinks to them, so every tool (setuptools, mypy,
pytest) sees one ordinary package. `sample/` is the bundled offline snapshot (package data).
"""

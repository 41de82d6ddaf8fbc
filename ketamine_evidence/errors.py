"""The project's shared error bases, below every layer.

Each layer raises its own named errors (`extract.errors`, `warehouse.errors`), all subclasses of
`EvidenceError`, each carrying enough context (file, URL, record, option) for a one-line message.
The CLI and the flow turn them into that message once, at the boundary, instead of a traceback.
"""

from __future__ import annotations


class EvidenceError(Exception):
    """Base class: anything the user can act on."""


class ConfigError(EvidenceError):
    """A wrong option or setting (bad date, unknown format, missing file), whichever layer reads it."""

"""The one serialisation of the harness's records (check results, bench rows, sweep rows): a record
is a keyword-constructed dataclass whose fields are its JSON keys and its Parquet columns, so a
verify result, a bench row and a sweep row are read back by the same code."""

from __future__ import annotations

from dataclasses import asdict, fields

__all__ = ["Record"]


class Record:
    """Mixin for ``@dataclass(kw_only=True)`` records: :meth:`to_record` (a dict of JSON/Parquet
    values, field names as keys) and :meth:`from_record` (unknown keys ignored, so a newer report
    loads; missing ones take the field's default, so an older one does too)."""

    def to_record(self) -> dict:
        return asdict(self)

    @classmethod
    def from_record(cls, record: dict):
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in record.items() if k in names})

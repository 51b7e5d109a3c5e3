"""Streamed, atomic Arrow output: RecordBatches to .arrow (IPC) or .parquet (zstd), chunk by chunk.

Memory stays bounded by one chunk; the file is written through arrow_io.atomic_path (a temporary
name beside the destination, renamed only when complete), so an interrupted or failed run (Ctrl-C,
SIGTERM, a full disk, ``ulimit -f``) leaves nothing under the final name and its temporary file is
removed; one killed outright (SIGKILL) has its temporary file removed by the next write there.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from computesim.io import arrow as arrow_io


def write_batches(
    path: str | Path,
    schema,
    batches: Iterable,
    meta: dict | None = None,
    overwrite: bool = False,
    field: str = "out",
) -> Path:
    """Write ``batches`` (pyarrow RecordBatches of ``schema``) to ``path``; returns the path.

    Schema metadata (computesim version plus ``meta``) is set via arrow_io.with_metadata.
    """
    import pyarrow as pa

    fmt = arrow_io.output_format(path, field)
    schema = arrow_io.with_metadata(schema.empty_table(), meta or {}).schema
    with arrow_io.atomic_path(path, overwrite, field) as tmp:
        if fmt == "parquet":
            import pyarrow.parquet as pq  # only here: it loads pyarrow's filesystems (and ssl)

            dict_cols = arrow_io.dictionary_columns(schema)
            with pq.ParquetWriter(
                str(tmp), schema, use_dictionary=dict_cols, **arrow_io.PARQUET_OPTIONS
            ) as w:
                for b in batches:
                    w.write_batch(b.replace_schema_metadata(schema.metadata))
        else:
            with pa.OSFile(str(tmp), "wb") as sink, pa.ipc.new_file(sink, schema) as w:
                for b in batches:
                    w.write_batch(b.replace_schema_metadata(schema.metadata))
    return Path(path)

"""Tables in and out: Arrow IPC and Parquet, streamed and atomic writes, TOML."""

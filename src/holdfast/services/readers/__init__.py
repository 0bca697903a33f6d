"""Reading export files (CSV, TSV, whitespace text, Parquet, JSON Lines) into checked tables."""

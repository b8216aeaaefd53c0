"""Everything that turns export files into the dataset: sniffing the dialect, recognising files
and columns, reading and parsing, coding customer ids, dropping duplicates, locating lines,
recording data-quality problems, the load summary, and ``init``'s proposed configuration."""

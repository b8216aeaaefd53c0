"""Shared basics every stage may use: errors, the domain's vocabularies, the canonical sources,
the CSV dialect and day numbers. Nothing here imports pandas or pyarrow, so the command line
starts fast."""

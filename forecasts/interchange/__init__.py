"""Import and export: the round trip of a whole database (roundtrip), forecast and resolution files (rows, bulk),
question files (questions) and the public datasets (datasets)."""

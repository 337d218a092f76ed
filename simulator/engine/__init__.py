"""The query engine: every rule of LEFI Online, free of wire formats."""

"""The SLA gate (SPEC §4): traffic limits per organisation and channel, opening hours."""

"""LEFI Prenumeration: order files in, a nightly batch, answer files out (SPEC §3)."""

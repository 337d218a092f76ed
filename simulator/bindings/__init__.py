"""Wire bindings: each turns its format into a Query and an Answer back into its format."""

"""What the sandbox records of each exchange: the exchange record itself, the journal,
Prometheus metrics, the JSON request log and recent rates."""

"""FK's domain values: personnummer, orgnummer, the benefits, the interface versions, FK's
error codes, FK as receiver, the one clock, and where the contracts (schemas) are."""

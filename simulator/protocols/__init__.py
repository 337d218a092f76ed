"""Wire protocols shared by services: SOAP envelopes and faults, SOAP over HTTP, the SHS
multipart message and outbox, hardened XML, HTTP bodies, and the LEFI XML and JSON answer
dialects."""

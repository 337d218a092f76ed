"""The onlinefråga over WS, SSEK, SHS, LEFI v9 REST and SSBTEK v10: each module parses its
format and renders the engine's answer."""

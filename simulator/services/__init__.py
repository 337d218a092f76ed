"""One package per FK service: the onlinefråga (online), massfråga, LEKA, LEFI Prenumeration
and the web e-tjänst."""

"""LEKA: subscriptions on persons, notifications as the clock passes timeline events, pushed or
fetched over SOAP/SSEK."""

"""The runtime every binding passes through: the sandbox (engine, clock, stores), traffic
middleware, fault rules, the answer cache and the SLA gate."""

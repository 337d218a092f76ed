"""The process: the command line, the aiohttp application that mounts every service, HTTP
serving, TLS certificates, and the pytest plugin that starts a sandbox."""

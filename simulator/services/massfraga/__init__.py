"""Massfråga: jobs of many persons answered by the engine in the background, over REST, SSEK
AsynchPull and SHS asynch."""

"""Fetchers: download a source's records over HTTP into a directory that `kg build` reads."""

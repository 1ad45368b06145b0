"""The search index: names and paper titles found as a person types them, by any spelling.

kg.search.fold turns text into search tokens (the one place that decides what matches what);
kg.search.write writes the index (an SQLite FTS5 file) into a store generation or a `kg index`
directory; kg.search.query answers suggestions and result pages from it. docs/search.md says why.
"""

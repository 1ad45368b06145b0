"""The SPARQL text checks the endpoint runs, now in kg.sparqltext (the library; `kg query` uses them too)."""

from kg.sparqltext import Analysis, Refused, Token, add_using, check_outbound, lex, unescape

__all__ = ["Analysis", "Refused", "Token", "add_using", "check_outbound", "lex", "unescape"]

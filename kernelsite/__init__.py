"""Build glue of the site: run snippets, capture their figures and values, embed them in pages."""

"""The reproductions of the paper's and the blog's claims, one registry (``registry.REPRODUCTIONS``)."""

"""The reproductions of the paper's and the blog's claims, one module per reproduction, registered by
name in :data:`harness.studies.reproductions.registry.REPRODUCTIONS`.  Each entry point takes
keyword-only parameters and returns a result dict; none reads command-line options.
"""

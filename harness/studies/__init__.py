"""Layer 5, studies: bench, sweeps, the report and the reproductions of the paper and the blog.
Every entry point takes keyword arguments; nothing here parses a command line."""

"""A test Kubernetes API server with a real server's storage semantics (see README, "Test API
server"): :mod:`.storage` (what a stored object looks like), :mod:`.server` (the HTTP server)."""

"""Projects and scan requests: what the API, webhooks, schedulers and dashboard all do the
same way (validate, normalise, encrypt, create rows)."""

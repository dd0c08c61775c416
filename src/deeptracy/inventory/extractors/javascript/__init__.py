"""npm ecosystem extractors: package.json, package-lock.json / npm-shrinkwrap.json, yarn.lock
(v1 and Berry), pnpm-lock.yaml and bun.lock."""

module github.com/acme/payments/service

go 1.21.4

toolchain go1.22.1

require (
	github.com/gin-gonic/gin v1.9.1
	github.com/google/uuid v1.4.0
	golang.org/x/crypto v0.14.0 // indirect
	github.com/acme/payments/shared v0.0.0-00010101000000-000000000000
	gopkg.in/yaml.v3 v3.0.1 // indirect; needed by gin
	github.com/docker/docker v24.0.7+incompatible
	github.com/pkg/errors v0.9.0
	"github.com/quoted/module" v1.0.0
)

require github.com/sirupsen/logrus v1.9.3

require (
	golang.org/x/net v0.17.0 // indirect
	golang.org/x/sys v0.13.0 // indirect
)

// excluded versions are not dependencies; Go moves to a higher one
exclude github.com/pkg/errors v0.9.0

exclude (
	golang.org/x/net v0.16.0
)

replace github.com/acme/payments/shared => ../shared

replace (
	golang.org/x/crypto v0.14.0 => golang.org/x/crypto v0.17.0
	github.com/google/uuid => github.com/acme/uuid-fork v1.4.1-acme.1
	golang.org/x/text => golang.org/x/text v0.14.0
)

retract v1.0.1 // published by mistake

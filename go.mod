module github.com/tamavisor/tamavisor

go 1.26.0

require (
	filippo.io/edwards25519 v1.2.0
	github.com/stretchr/testify v1.11.1
	go.yaml.in/yaml/v3 v3.0.4
	golang.org/x/crypto v0.59.0
)

require (
	github.com/davecgh/go-spew v1.1.1 // indirect
	github.com/pmezard/go-difflib v1.0.0 // indirect
	github.com/usbarmory/tamago v1.26.0 // indirect
	golang.org/x/sys v0.50.0 // indirect
	gopkg.in/yaml.v3 v3.0.1 // indirect
)

tool github.com/usbarmory/tamago/cmd/tamago

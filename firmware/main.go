//go:build tamago && arm64

// Command firmware is the Tamavisor hypervisor image: a TamaGo unikernel
// that boots at EL2 and runs one hypervisor instance per core.
package main

import "github.com/tamavisor/tamavisor/firmware/hv"

func main() { hv.Main() }

//go:build tamago && arm64 && !faultinject

package hv

func injectFault() {}

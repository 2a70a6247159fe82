//go:build !tamago

package smmu

// dataSyncHook, when set, runs where the target executes its barrier:
// host tests see through it where barriers fall among the register
// accesses and the changes to the stream table and queues.
var dataSyncHook func()

func dataSync() {
	if dataSyncHook != nil {
		dataSyncHook()
	}
}

package hv

import (
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
)

const testFrequency = 62_500_000 // QEMU virt's counter

func TestLineLimitAllowsABurstASecondAndSumsUpTheRest(t *testing.T) {
	var l LineLimit
	now := uint64(5 * testFrequency)
	for i := range faultLinesPerSecond {
		ok, summary := l.Allow(now+uint64(i), testFrequency)
		assert.True(t, ok, "line %d", i)
		assert.Zero(t, summary)
	}
	for range 9990 {
		ok, summary := l.Allow(now+100, testFrequency)
		assert.False(t, ok)
		assert.Zero(t, summary)
	}
	assert.True(t, l.Pending())
	// The next second: the first line comes with the summary.
	ok, summary := l.Allow(now+testFrequency, testFrequency)
	assert.True(t, ok)
	assert.Equal(t, uint64(9990), summary)
	assert.False(t, l.Pending())
}

// A flood that stops is summed up on the vCPU's next exit after its
// second, once.
func TestLineLimitSummaryAfterTheFloodStopped(t *testing.T) {
	var l LineLimit
	now := uint64(7 * testFrequency)
	for range faultLinesPerSecond + 3 {
		l.Allow(now, testFrequency)
	}
	assert.Zero(t, l.Summary(now+testFrequency/2, testFrequency), "summed up within its second")
	assert.Equal(t, uint64(3), l.Summary(now+testFrequency, testFrequency))
	assert.Zero(t, l.Summary(now+2*testFrequency, testFrequency), "summed up twice")
}

// The vCPUs of one partition share the limit; every refused line is
// counted in exactly one summary, and no more than the burst is allowed
// in a second, whoever prints.
func TestLineLimitSharedByVCPUs(t *testing.T) {
	var l LineLimit
	var allowed, summed atomic.Uint64
	var wg sync.WaitGroup
	const perVCPU = 5000
	for v := range 4 {
		wg.Add(1)
		go func(v int) {
			defer wg.Done()
			for i := range perVCPU {
				// All in second 3, then one call each in second 4.
				ok, s := l.Allow(3*testFrequency+uint64(i), testFrequency)
				if ok {
					allowed.Add(1)
				}
				summed.Add(s)
			}
		}(v)
	}
	wg.Wait()
	assert.Equal(t, uint64(faultLinesPerSecond), allowed.Load())
	summed.Add(l.Summary(4*testFrequency, testFrequency))
	assert.Equal(t, uint64(4*perVCPU-faultLinesPerSecond), summed.Load())
}

func TestLineLimitAllocatesNothing(t *testing.T) {
	var l LineLimit
	assert.Zero(t, testing.AllocsPerRun(100, func() { l.Allow(testFrequency, testFrequency) }))
}

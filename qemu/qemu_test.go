package qemu

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fakeEmulator writes a shell script standing in for QEMU: it records its
// arguments and prints lines, then sleeps or exits.
func fakeEmulator(t *testing.T, body string) (binary, image string) {
	t.Helper()
	dir := t.TempDir()
	binary = filepath.Join(dir, "fake-qemu")
	script := "#!/bin/sh\necho \"$@\" > " + filepath.Join(dir, "args") + "\n" + body + "\n"
	require.NoError(t, os.WriteFile(binary, []byte(script), 0o755))
	image = filepath.Join(dir, "image.elf")
	require.NoError(t, os.WriteFile(image, []byte("not really an ELF"), 0o644))
	return binary, image
}

func expect(patterns ...string) []*regexp.Regexp {
	var res []*regexp.Regexp
	for _, p := range patterns {
		res = append(res, regexp.MustCompile(p))
	}
	return res
}

func TestProfileCommandLine(t *testing.T) {
	p, err := ProfileFor("qemu-virt")
	require.NoError(t, err)
	assert.Equal(t, "-M virt,virtualization=on,gic-version=3,iommu=smmuv3 -global arm-smmuv3.stage=2 -cpu cortex-a53 -smp 4 -m 2G "+
		"-device edu,addr=2,dma_mask=0xffffffffff -device virtio-rng-pci,addr=3,disable-legacy=on,iommu_platform=on "+
		"-display none -monitor none -serial stdio -kernel x.elf",
		strings.Join(p.Command(Options{Image: "x.elf"}), " "))
	assert.Equal(t, "-M virt,virtualization=on,gic-version=3,iommu=smmuv3 -global arm-smmuv3.stage=2 -cpu cortex-a53 -smp 4 -m 2G "+
		"-device edu,addr=2,dma_mask=0xffffffffff -device virtio-rng-pci,addr=3,disable-legacy=on,iommu_platform=on "+
		"-nographic -kernel x.elf -smp 2",
		strings.Join(p.Command(Options{Image: "x.elf", Interactive: true, ExtraArgs: []string{"-smp", "2"}}), " "))
	assert.Equal(t, "-M virt,virtualization=on,gic-version=3,iommu=smmuv3 -global arm-smmuv3.stage=2 -cpu cortex-a53 -smp 4 -m 2G "+
		"-device edu,addr=2,dma_mask=0xffffffffff -device virtio-rng-pci,addr=3,disable-legacy=on,iommu_platform=on "+
		"-display none -monitor none -serial stdio -device loader,file=x.elf",
		strings.Join(p.Command(Options{Image: "x.elf", LoadArgs: []string{"-device", "loader,file=x.elf"}}), " "))

	// imx8mp-evk: the console is UART2, the second serial port; the
	// image an arm64 Image.
	p, err = ProfileFor("imx8mp-evk")
	require.NoError(t, err)
	assert.True(t, p.Arm64Image)
	assert.Equal(t, "-M imx8mp-evk -smp 4 -m 6G -display none -monitor none -serial null -serial stdio -kernel x.Image",
		strings.Join(p.Command(Options{Image: "x.Image"}), " "))
	assert.Equal(t, "-M imx8mp-evk -smp 4 -m 6G -nographic -serial null -serial mon:stdio -kernel x.Image",
		strings.Join(p.Command(Options{Image: "x.Image", Interactive: true}), " "))
	_, err = ProfileFor("no-such-board")
	assert.ErrorContains(t, err, `no QEMU machine profile for board "no-such-board"`)
}

func TestExpectationsMatchInOrder(t *testing.T) {
	bin, img := fakeEmulator(t, `printf 'core 1 up\r\ncore 0 up\r\nall cores up: 2\r\n'; sleep 30`)
	p, _ := ProfileFor("qemu-virt")
	start := time.Now()
	res, err := Run(context.Background(), bin, p, Options{
		Image: img, Timeout: 20 * time.Second,
		Expect: expect(`core 0 up`, `all cores up: (\d+)`),
	})
	require.NoError(t, err)
	assert.Less(t, time.Since(start), 10*time.Second, "run did not stop once every expectation matched")
	assert.Equal(t, []string{"core 1 up", "core 0 up", "all cores up: 2"}, res.Output)
	assert.Equal(t, []string{"all cores up: 2", "2"}, res.Matches[1])
}

func TestOrderMatters(t *testing.T) {
	// "core 1" appears, but only before "core 0": an in-order
	// expectation of core 0 then core 1 is not met.
	bin, img := fakeEmulator(t, `echo core 1; echo core 0`)
	p, _ := ProfileFor("qemu-virt")
	_, err := Run(context.Background(), bin, p, Options{Image: img, Timeout: 10 * time.Second, Expect: expect(`core 0`, `core 1`)})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "exited")
	assert.Contains(t, err.Error(), "console line 2 of 2 matching /core 1/")
}

func TestTimeoutNamesThePendingExpectation(t *testing.T) {
	bin, img := fakeEmulator(t, `echo booting; sleep 30`)
	p, _ := ProfileFor("qemu-virt")
	res, err := Run(context.Background(), bin, p, Options{Image: img, Timeout: 500 * time.Millisecond, Expect: expect(`booting`, `never`)})
	require.Error(t, err)
	assert.True(t, errors.Is(err, ErrTimeout))
	assert.Contains(t, err.Error(), "console line 2 of 2 matching /never/")
	assert.Equal(t, []string{"booting"}, res.Output)
}

func TestMissingImage(t *testing.T) {
	p, _ := ProfileFor("qemu-virt")
	_, err := Run(context.Background(), "/bin/true", p, Options{Image: filepath.Join(t.TempDir(), "missing.elf")})
	assert.ErrorContains(t, err, "image:")
}

func TestExpectAnyOrder(t *testing.T) {
	bin, img := fakeEmulator(t, `echo b done; echo a done; echo tick; sleep 30`)
	p, _ := ProfileFor("qemu-virt")
	start := time.Now()
	_, err := Run(context.Background(), bin, p, Options{Image: img, Timeout: 20 * time.Second,
		Expect: expect(`tick`), ExpectAny: []*regexp.Regexp{regexp.MustCompile(`a done`), regexp.MustCompile(`b done`)}})
	require.NoError(t, err)
	assert.Less(t, time.Since(start), 10*time.Second)

	bin, img = fakeEmulator(t, `echo a done; sleep 30`)
	_, err = Run(context.Background(), bin, p, Options{Image: img, Timeout: 500 * time.Millisecond,
		ExpectAny: []*regexp.Regexp{regexp.MustCompile(`a done`), regexp.MustCompile(`b done`)}})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "a console line matching /b done/ (in any order)")
}

func TestRepliesAreTypedAfterTheirExpectation(t *testing.T) {
	// The fake echoes what it is sent once it prints its prompt.
	bin, img := fakeEmulator(t, `echo 'login:'; read answer; echo "got $answer"; sleep 30`)
	p, _ := ProfileFor("qemu-virt")
	res, err := Run(context.Background(), bin, p, Options{Image: img, Timeout: 10 * time.Second,
		Expect:  expect(`^login:$`, `^got root$`),
		Replies: []Reply{{After: 0, Text: "root\n"}}})
	require.NoError(t, err)
	assert.Equal(t, []string{"login:", "got root"}, res.Output)
}

func TestTranscriptTimesEachLine(t *testing.T) {
	bin, img := fakeEmulator(t, `echo first; sleep 0.3; echo second; sleep 30`)
	p, _ := ProfileFor("qemu-virt")
	res, err := Run(context.Background(), bin, p, Options{Image: img, Timeout: 10 * time.Second,
		Expect: expect(`^first$`, `^second$`)})
	require.NoError(t, err)
	require.Len(t, res.At, 2)
	assert.GreaterOrEqual(t, res.At[1]-res.At[0], 250*time.Millisecond, "the second line came 0.3 s after the first")
	assert.Regexp(t, `^\s*\d+\.\d\ds first\n\s*\d+\.\d\ds second\n$`, res.Transcript())
}

func TestParseVersion(t *testing.T) {
	v, err := ParseVersion("QEMU emulator version 10.0.2 (Debian 1:10.0.2+ds-2+deb13u1~bpo12+1)\nCopyright (c) 2003-2025 Fabrice Bellard and the QEMU Project developers\n")
	require.NoError(t, err)
	assert.Equal(t, Version{10, 0, 2, "QEMU emulator version 10.0.2 (Debian 1:10.0.2+ds-2+deb13u1~bpo12+1)"}, v)
	assert.True(t, v.AtLeast(MinVersion))
	old, err := ParseVersion("QEMU emulator version 7.2.19 (Debian 1:7.2+dfsg-7+deb12u16)\n")
	require.NoError(t, err)
	assert.False(t, old.AtLeast(MinVersion))
	for _, tc := range []struct {
		v    Version
		want bool
	}{
		{Version{Major: 9, Minor: 1}, true},
		{Version{Major: 9, Minor: 0, Micro: 9}, false},
		{Version{Major: 9, Minor: 2}, true},
		{Version{Major: 8, Minor: 9}, false},
	} {
		assert.Equal(t, tc.want, tc.v.AtLeast(MinVersion), "%v", tc.v)
	}
	_, err = ParseVersion("qemu-img version 10.0.2\n")
	assert.ErrorContains(t, err, "not a QEMU version")
}

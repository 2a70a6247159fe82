package qemu

import (
	"bytes"
	"encoding/binary"
	"os/exec"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The imx8mp-evk profile passes a device tree that QEMU accepts (root cell
// sizes, a memory node it rewrites from -m) and that names the EVK's two
// RAM banks.
func TestIMX8MPDeviceTree(t *testing.T) {
	p, err := ProfileFor("imx8mp-evk")
	require.NoError(t, err)
	require.NotNil(t, p.DeviceTree)
	dtb, err := p.DeviceTree()
	require.NoError(t, err)
	require.Greater(t, len(dtb), 40)
	assert.Equal(t, uint32(0xd00dfeed), binary.BigEndian.Uint32(dtb), "FDT magic")
	assert.Equal(t, uint32(len(dtb)), binary.BigEndian.Uint32(dtb[4:]), "totalsize")
	for _, s := range []string{"#address-cells", "#size-cells", "memory@40000000", "device_type", "chosen", "fsl,imx8mp-evk"} {
		assert.True(t, bytes.Contains(dtb, []byte(s)), "%q missing", s)
	}
	// reg: 0x40000000+3 GiB and 0x100000000+3 GiB, two cells each.
	reg := []byte{0, 0, 0, 0, 0x40, 0, 0, 0, 0, 0, 0, 0, 0xc0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0xc0, 0, 0, 0}
	assert.True(t, bytes.Contains(dtb, reg), "memory reg")

	if dtc, err := exec.LookPath("dtc"); err == nil {
		cmd := exec.Command(dtc, "-I", "dtb", "-O", "dts", "-o", "/dev/null", "-")
		cmd.Stdin = bytes.NewReader(dtb)
		out, err := cmd.CombinedOutput()
		assert.NoError(t, err, "dtc: %s", out)
	}
}

//go:build tamago && arm64

package hv

import "github.com/tamavisor/tamavisor/internal/minisign"

// trustedKey is the trust slot (internal/minisign): the public key whose
// signature the partition table must carry. make firmware builds it empty;
// `tamavisor build -trust KEY.pub` writes the key into the image's copy
// (image.Trust, which finds it by this symbol's name).
var trustedKey = [minisign.TrustSlotSize]byte{'T', 'V', 'T', 'R', 'U', 'S', 'T', '1'}

package main

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/bits"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/tamavisor/tamavisor/board"
	_ "github.com/tamavisor/tamavisor/board/imx8mpevk" // the boards images are built for
	_ "github.com/tamavisor/tamavisor/board/qemuvirt"  // the boards images are built for
	"github.com/tamavisor/tamavisor/image"
	"github.com/tamavisor/tamavisor/internal/minisign"
	"github.com/tamavisor/tamavisor/partition"
	"github.com/tamavisor/tamavisor/partition/table"
)

func init() {
	register("inspect", command{
		summary: "print the partition table inside an image and verify its guest images",
		run:     inspectCommand,
	})
}

// inspectCommand prints what an image holds: the table's header, the
// hypervisor's segments, each partition and each channel. It exits 0 when
// the table decodes, every image matches its SHA-256 and the table fits
// its board; 1 otherwise, after printing what it could read and every
// problem on stderr; 2 for wrong arguments.
func inspectCommand(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("inspect", flag.ContinueOnError)
	fs.SetOutput(stderr)
	asJSON := fs.Bool("json", false, "print the same information as JSON, for scripts")
	keyPath := fs.String("key", "", "also check the table's signature against this minisign public key")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: tamavisor inspect [--json] [-key KEY.pub] IMAGE")
		fmt.Fprintln(stderr, "\nPrints the partition table inside IMAGE (built by tamavisor build), the")
		fmt.Fprintln(stderr, "hypervisor's segments, and each guest image with its SHA-256 verified.")
		fmt.Fprintln(stderr)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return 2
	}
	path := fs.Arg(0)
	data, err := os.ReadFile(path)
	if err != nil {
		fmt.Fprintf(stderr, "tamavisor inspect: %v\n", err)
		return 1
	}
	var key *minisign.PublicKey
	if *keyPath != "" {
		pk, err := readPublicKey(*keyPath)
		if err != nil {
			fmt.Fprintf(stderr, "tamavisor inspect: %v\n", err)
			return 1
		}
		key = &pk
	}
	r := inspect(path, data, key)
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(r); err != nil {
			fmt.Fprintf(stderr, "tamavisor inspect: %v\n", err)
			return 1
		}
	} else {
		r.writeText(stdout)
	}
	for _, problem := range r.Errors {
		fmt.Fprintf(stderr, "tamavisor inspect: %s: %s\n", path, problem)
	}
	if !r.OK {
		return 1
	}
	return 0
}

// address is a physical address or an IPA. JSON carries it as a hex
// string, as the text does: a JSON number is exact only up to 2^53.
type address uint64

func (a address) String() string { return fmt.Sprintf("%#x", uint64(a)) }

func (a address) MarshalJSON() ([]byte, error) { return json.Marshal(a.String()) }

// inspectReport is everything inspect prints, in text or as JSON. Sizes
// are in bytes.
type inspectReport struct {
	Image string `json:"image"`
	// OK is true when Errors is empty.
	OK     bool     `json:"ok"`
	Errors []string `json:"errors"`
	// Hypervisor is null when the file is no AArch64 executable.
	Hypervisor *hypervisorReport `json:"hypervisor"`
	// Table is null when the image holds no readable partition table.
	Table *tableReport `json:"table"`
	// Signature is null when the image holds no readable partition table.
	Signature  *signatureReport  `json:"signature"`
	Partitions []partitionReport `json:"partitions"`
	Channels   []channelReport   `json:"channels"`
}

type hypervisorReport struct {
	Entry    address         `json:"entry"`
	Segments []segmentReport `json:"segments"`
}

type segmentReport struct {
	Vaddr      address `json:"vaddr"`
	Paddr      address `json:"paddr"`
	FileSize   uint64  `json:"fileSize"`
	MemorySize uint64  `json:"memorySize"`
	Flags      string  `json:"flags"`
}

type tableReport struct {
	Board         string  `json:"board"`
	FormatVersion uint32  `json:"formatVersion"`
	Checksum      string  `json:"checksum"`
	Address       address `json:"address"`
	Length        uint64  `json:"length"`
	PayloadAddr   address `json:"payloadAddress"`
	PayloadSize   uint64  `json:"payloadSize"`
	// BoardCheck is "ok", why the firmware would refuse the image on
	// its board, or why the check was skipped.
	BoardCheck string `json:"boardCheck"`
}

type signatureReport struct {
	// Signed says whether the payload carries a signature; KeyID and
	// TrustedComment are the signature's.
	Signed         bool   `json:"signed"`
	KeyID          string `json:"keyID,omitempty"`
	TrustedComment string `json:"trustedComment,omitempty"`
	// FirmwareTrusts is the key ID the image's firmware trusts, "" for
	// none; AtBoot is what the firmware will say about the table, and
	// Boots whether it will start partitions.
	FirmwareTrusts string `json:"firmwareTrusts"`
	AtBoot         string `json:"atBoot"`
	Boots          bool   `json:"boots"`
	// WithKey is the check against the key given with -key.
	WithKey string `json:"withKey,omitempty"`
}

type partitionReport struct {
	Index         int      `json:"index"`
	Name          string   `json:"name"`
	CPUs          []uint32 `json:"cpus"`
	FaultPolicy   string   `json:"faultPolicy"`
	Console       string   `json:"console"`
	ConsoleDevice string   `json:"consoleDevice,omitempty"`
	KernelFormat  string   `json:"kernelFormat"`
	EntryIPA      address  `json:"entryIPA"`
	// DTBIPA is null when the partition has no DTB image.
	DTBIPA  *address       `json:"dtbIPA"`
	Regions []regionReport `json:"regions"`
	Devices []deviceReport `json:"devices"`
	// Interrupts and StreamIDs are those tied to no device.
	Interrupts []uint32        `json:"interrupts"`
	StreamIDs  []idRangeReport `json:"streamIDs"`
	Images     []imageReport   `json:"images"`
}

type regionReport struct {
	Kind        string  `json:"kind"`
	PA          address `json:"pa"`
	IPA         address `json:"ipa"`
	Size        uint64  `json:"size"`
	Permissions string  `json:"permissions"`
	// Owner names the device of an MMIO region, the channel of a
	// channel region.
	Owner string `json:"owner,omitempty"`
}

type deviceReport struct {
	Name       string          `json:"name"`
	MMIO       []mmioReport    `json:"mmio"`
	Interrupts []uint32        `json:"interrupts"`
	StreamIDs  []idRangeReport `json:"streamIDs"`
}

type mmioReport struct {
	PA   address `json:"pa"`
	IPA  address `json:"ipa"`
	Size uint64  `json:"size"`
}

type idRangeReport struct {
	First uint32 `json:"first"`
	Count uint32 `json:"count"`
}

type imageReport struct {
	Index    int     `json:"index"`
	Kind     string  `json:"kind"`
	Offset   uint64  `json:"offset"`
	Size     uint64  `json:"size"`
	LoadIPA  address `json:"loadIPA"`
	SHA256   string  `json:"sha256"`
	Verified bool    `json:"verified"`
}

type channelReport struct {
	Name string  `json:"name"`
	PA   address `json:"pa"`
	Size uint64  `json:"size"`
	// Doorbell is the INTID injected into the members, 0 for none.
	Doorbell uint32         `json:"doorbell"`
	Members  []memberReport `json:"members"`
}

type memberReport struct {
	Partition string `json:"partition"`
	Access    string `json:"access"`
	// IPA is where the member maps the channel; null when none of its
	// regions does.
	IPA *address `json:"ipa"`
}

// inspect reads the image data, named path, into a report.
func inspect(path string, data []byte, key *minisign.PublicKey) *inspectReport {
	r := &inspectReport{Image: path, Errors: []string{}, Partitions: []partitionReport{}, Channels: []channelReport{}}
	defer func() { r.OK = len(r.Errors) == 0 }()
	img, err := image.Open(data)
	if img != nil {
		r.Hypervisor = &hypervisorReport{Entry: address(img.Entry), Segments: []segmentReport{}}
		for _, s := range img.Segments {
			r.Hypervisor.Segments = append(r.Hypervisor.Segments, segmentReport{
				Vaddr: address(s.Vaddr), Paddr: address(s.Paddr), FileSize: s.Filesz, MemorySize: s.Memsz, Flags: s.Permissions(),
			})
		}
	}
	if err != nil {
		r.Errors = append(r.Errors, err.Error())
		return r
	}

	v := img.Table
	h := v.Header()
	r.Table = &tableReport{
		Board:         h.Board.String(),
		FormatVersion: h.Version,
		Checksum:      hex.EncodeToString(h.Checksum[:]),
		Address:       address(img.PayloadBase),
		Length:        h.TotalLength,
		PayloadAddr:   address(img.PayloadBase + image.PayloadOffset(h.TotalLength)),
		PayloadSize:   h.PayloadSize,
		BoardCheck:    "ok",
	}
	if b, err := board.Lookup(h.Board.String()); err != nil {
		r.Table.BoardCheck = "skipped: " + err.Error()
	} else if err := img.CheckBoard(b); err != nil {
		r.Table.BoardCheck = err.Error()
		r.Errors = append(r.Errors, err.Error())
	}

	r.Signature = signatureReportOf(img, data, key)
	if !r.Signature.Boots {
		r.Errors = append(r.Errors, r.Signature.AtBoot)
	}
	if key != nil && !strings.Contains(r.Signature.WithKey, "verified") {
		r.Errors = append(r.Errors, "with -key: "+r.Signature.WithKey)
	}

	checks := img.VerifyImages()
	for i := range v.NumPartitions() {
		r.Partitions = append(r.Partitions, partitionReportOf(v, i, checks))
	}
	for _, check := range checks {
		if check.Err != nil {
			r.Errors = append(r.Errors, check.Err.Error())
		}
	}
	for c := range v.NumChannels() {
		r.Channels = append(r.Channels, channelReportOf(v, c))
	}
	return r
}

// signatureReportOf says who signed the table, what the firmware will
// decide at boot, and, with key, whether key signed it.
func signatureReportOf(img *image.Image, data []byte, key *minisign.PublicKey) *signatureReport {
	sr := &signatureReport{}
	if img.Signature != "" {
		sr.Signed = true
		if s, err := minisign.ParseSignature(img.Signature); err == nil {
			sr.KeyID, sr.TrustedComment = s.KeyID.String(), s.TrustedComment
		}
	}
	trusted, hasKey, err := image.TrustedKey(data)
	segment, tableLength := img.SignedSegment(), img.Table.Len()
	switch {
	case errors.Is(err, image.ErrNoTrustSlot):
		sr.AtBoot, sr.Boots = "not checked: "+err.Error(), true
	case err != nil:
		sr.AtBoot = "trust slot: " + err.Error()
	case hasKey:
		sr.FirmwareTrusts = trusted.ID.String()
		sr.AtBoot, sr.Boots = table.CheckSignature(&trusted, segment, tableLength)
	default:
		sr.AtBoot, sr.Boots = table.CheckSignature(nil, segment, tableLength)
	}
	if key != nil {
		sr.WithKey, _ = table.CheckSignature(key, segment, tableLength)
	}
	return sr
}

func partitionReportOf(v table.View, i int, checks []image.ImageCheck) partitionReport {
	p := v.Partition(i)
	pr := partitionReport{
		Index:        i,
		Name:         p.Name.String(),
		CPUs:         maskBits(p.CPUMask),
		FaultPolicy:  p.OnFault.String(),
		Console:      p.Console.String(),
		KernelFormat: p.KernelFormat.String(),
		EntryIPA:     address(p.EntryIPA),
		Regions:      []regionReport{},
		Devices:      []deviceReport{},
		Interrupts:   []uint32{},
		StreamIDs:    []idRangeReport{},
		Images:       []imageReport{},
	}
	if p.Console == table.ConsolePassthrough {
		pr.ConsoleDevice = v.Device(int(p.ConsoleDevice)).Name.String()
	}
	if p.DTBIPA != 0 {
		dtb := address(p.DTBIPA)
		pr.DTBIPA = &dtb
	}
	for j := p.Regions.First; j < p.Regions.End(); j++ {
		g := v.Region(int(j))
		rr := regionReport{Kind: g.Kind.String(), PA: address(g.PhysBase), IPA: address(g.IPA), Size: g.Size, Permissions: g.Perm.String()}
		switch g.Kind {
		case table.RegionMMIO:
			rr.Owner = v.Device(int(g.Owner)).Name.String()
		case table.RegionChannel:
			rr.Owner = v.Channel(int(g.Owner)).Name.String()
		}
		pr.Regions = append(pr.Regions, rr)
	}
	for d := p.Devices.First; d < p.Devices.End(); d++ {
		dev := v.Device(int(d))
		dr := deviceReport{Name: dev.Name.String(), MMIO: []mmioReport{}, Interrupts: []uint32{}, StreamIDs: []idRangeReport{}}
		for j := dev.Regions.First; j < dev.Regions.End(); j++ {
			g := v.Region(int(j))
			dr.MMIO = append(dr.MMIO, mmioReport{PA: address(g.PhysBase), IPA: address(g.IPA), Size: g.Size})
		}
		for j := dev.Interrupts.First; j < dev.Interrupts.End(); j++ {
			dr.Interrupts = append(dr.Interrupts, v.Interrupt(int(j)).INTID)
		}
		for j := dev.StreamIDRanges.First; j < dev.StreamIDRanges.End(); j++ {
			s := v.StreamIDRange(int(j))
			dr.StreamIDs = append(dr.StreamIDs, idRangeReport{First: s.First, Count: s.Count})
		}
		pr.Devices = append(pr.Devices, dr)
	}
	for j := p.Interrupts.First; j < p.Interrupts.End(); j++ {
		if q := v.Interrupt(int(j)); q.Device == table.NoIndex {
			pr.Interrupts = append(pr.Interrupts, q.INTID)
		}
	}
	for j := p.StreamIDRanges.First; j < p.StreamIDRanges.End(); j++ {
		if s := v.StreamIDRange(int(j)); s.Device == table.NoIndex {
			pr.StreamIDs = append(pr.StreamIDs, idRangeReport{First: s.First, Count: s.Count})
		}
	}
	for j := p.Images.First; j < p.Images.End(); j++ {
		check := checks[j]
		m := check.Image
		pr.Images = append(pr.Images, imageReport{
			Index: check.Index, Kind: m.Kind.String(), Offset: m.Offset, Size: m.Size, LoadIPA: address(m.LoadIPA),
			SHA256: hex.EncodeToString(m.SHA256[:]), Verified: check.Err == nil,
		})
	}
	return pr
}

func channelReportOf(v table.View, c int) channelReport {
	ch := v.Channel(c)
	cr := channelReport{Name: ch.Name.String(), PA: address(ch.PhysBase), Size: ch.Size, Doorbell: ch.Doorbell, Members: []memberReport{}}
	for _, m := range maskBits(ch.Members) {
		mr := memberReport{Access: "rw"}
		if ch.ReadOnly&(1<<m) != 0 {
			mr.Access = "ro"
		}
		// Decode guarantees members name partitions of the table.
		p := v.Partition(int(m))
		mr.Partition = p.Name.String()
		for j := p.Regions.First; j < p.Regions.End(); j++ {
			if g := v.Region(int(j)); g.Kind == table.RegionChannel && g.Owner == uint32(c) {
				ipa := address(g.IPA)
				mr.IPA = &ipa
				break
			}
		}
		cr.Members = append(cr.Members, mr)
	}
	return cr
}

// maskBits returns the indices of the bits set in mask, in order.
func maskBits(mask uint64) []uint32 {
	indices := []uint32{}
	for ; mask != 0; mask &= mask - 1 {
		indices = append(indices, uint32(bits.TrailingZeros64(mask)))
	}
	return indices
}

// writeText prints the report as indented blocks, columns aligned.
func (r *inspectReport) writeText(w io.Writer) {
	block := newBlock(w)
	block.line(r.Image)
	if t := r.Table; t != nil {
		block.line("  board", t.Board)
		block.line("  table", fmt.Sprintf("format version %d, %#x bytes at %v", t.FormatVersion, t.Length, t.Address))
		block.line("  checksum", t.Checksum)
		block.line("  payload", fmt.Sprintf("%#x bytes at %v", t.PayloadSize, t.PayloadAddr))
		block.line("  board check", t.BoardCheck)
		if sr := r.Signature; sr != nil {
			signed := "none"
			if sr.Signed {
				signed = "key ID " + sr.KeyID + ", trusted comment: " + sr.TrustedComment
			}
			trusts := "no key"
			if sr.FirmwareTrusts != "" {
				trusts = "key ID " + sr.FirmwareTrusts
			}
			block.line("  signature", signed)
			block.line("  firmware trusts", trusts)
			block.line("  at boot", sr.AtBoot)
			if sr.WithKey != "" {
				block.line("  with -key", sr.WithKey)
			}
		}
	} else {
		block.line("  table", "not found or damaged")
	}
	block.flush()

	if hv := r.Hypervisor; hv != nil {
		fmt.Fprintf(w, "\nhypervisor\n  entry %v\n", hv.Entry)
		block.line("  SEGMENT", "VADDR", "PADDR", "FILE SIZE", "MEMORY SIZE", "FLAGS")
		for i, s := range hv.Segments {
			block.line("  "+strconv.Itoa(i), s.Vaddr.String(), s.Paddr.String(), partition.FormatSize(s.FileSize), partition.FormatSize(s.MemorySize), s.Flags)
		}
		block.flush()
	}

	for _, p := range r.Partitions {
		p.writeText(w, block)
	}

	if r.Table != nil {
		fmt.Fprintln(w)
		if len(r.Channels) == 0 {
			fmt.Fprintln(w, "channels: none")
		} else {
			fmt.Fprintln(w, "channels")
		}
		for _, c := range r.Channels {
			doorbell := "none"
			if c.Doorbell != 0 {
				doorbell = strconv.FormatUint(uint64(c.Doorbell), 10)
			}
			fmt.Fprintf(w, "  %q %s, doorbell %s\n", c.Name, partition.FormatRange(uint64(c.PA), c.Size), doorbell)
			block.line("    MEMBER", "ACCESS", "IPA")
			for _, m := range c.Members {
				ipa := "not mapped"
				if m.IPA != nil {
					ipa = m.IPA.String()
				}
				block.line("    "+m.Partition, m.Access, ipa)
			}
			block.flush()
		}
	}
}

func (p *partitionReport) writeText(w io.Writer, block *textBlock) {
	fmt.Fprintf(w, "\npartition %d %q\n", p.Index, p.Name)
	block.line("  cores", formatIDs(p.CPUs))
	block.line("  fault policy", p.FaultPolicy)
	console := p.Console
	if p.ConsoleDevice != "" {
		console += " " + p.ConsoleDevice
	}
	block.line("  console", console)
	dtb := "none"
	if p.DTBIPA != nil {
		dtb = p.DTBIPA.String()
	}
	block.line("  kernel", fmt.Sprintf("%s, entry IPA %v, DTB IPA %s", p.KernelFormat, p.EntryIPA, dtb))
	if len(p.Interrupts) > 0 {
		block.line("  interrupts", formatIDs(p.Interrupts)+" (no device)")
	}
	if len(p.StreamIDs) > 0 {
		block.line("  stream IDs", formatIDRanges(p.StreamIDs)+" (no device)")
	}
	block.flush()

	fmt.Fprintln(w, "  regions")
	block.line("    KIND", "PA", "", "IPA", "SIZE", "PERM", "OWNER")
	for _, g := range p.Regions {
		block.line("    "+g.Kind, g.PA.String(), "->", g.IPA.String(), partition.FormatSize(g.Size), g.Permissions, orDash(g.Owner))
	}
	block.flush()

	if len(p.Devices) == 0 {
		fmt.Fprintln(w, "  devices: none")
	} else {
		fmt.Fprintln(w, "  devices")
		block.line("    NAME", "MMIO", "INTERRUPTS", "STREAM IDS")
		for _, d := range p.Devices {
			mmio := make([]string, len(d.MMIO))
			for i, m := range d.MMIO {
				mmio[i] = partition.FormatRange(uint64(m.PA), m.Size)
				if m.IPA != m.PA {
					mmio[i] += " at IPA " + m.IPA.String()
				}
			}
			// One line per MMIO region; the first carries the rest.
			first := ""
			if len(mmio) > 0 {
				first = mmio[0]
			}
			block.line("    "+d.Name, orDash(first), orDash(formatIDs(d.Interrupts)), orDash(formatIDRanges(d.StreamIDs)))
			for _, more := range mmio[min(1, len(mmio)):] {
				block.line("", more)
			}
		}
		block.flush()
	}

	fmt.Fprintln(w, "  images")
	block.line("    KIND", "LOAD IPA", "SIZE", "SHA-256", "CHECK")
	for _, m := range p.Images {
		check := "ok"
		if !m.Verified {
			check = "MISMATCH"
		}
		block.line("    "+m.Kind, m.LoadIPA.String(), partition.FormatSize(m.Size), m.SHA256[:16], check)
	}
	block.flush()
}

// textBlock aligns the cells of consecutive lines into columns.
type textBlock struct{ tw *tabwriter.Writer }

func newBlock(w io.Writer) *textBlock {
	return &textBlock{tw: tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)}
}

// line writes one line of cells; empty trailing cells are dropped, so no
// line ends in padding.
func (b *textBlock) line(cells ...string) {
	for len(cells) > 1 && cells[len(cells)-1] == "" {
		cells = cells[:len(cells)-1]
	}
	fmt.Fprintln(b.tw, strings.Join(cells, "\t"))
}

// flush ends the block: the next line starts new columns.
func (b *textBlock) flush() { b.tw.Flush() }

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// formatIDs writes IDs in order as "0,1" with runs of three or more as
// "48-51", the way configs list cores.
func formatIDs(ids []uint32) string {
	var parts []string
	for i := 0; i < len(ids); {
		j := i
		for j+1 < len(ids) && ids[j+1] == ids[j]+1 {
			j++
		}
		switch {
		case j-i >= 2:
			parts = append(parts, fmt.Sprintf("%d-%d", ids[i], ids[j]))
		default:
			for k := i; k <= j; k++ {
				parts = append(parts, strconv.FormatUint(uint64(ids[k]), 10))
			}
		}
		i = j + 1
	}
	return strings.Join(parts, ",")
}

// formatIDRanges writes stream ID ranges as "0x0-0xff", a single ID as
// "0x100".
func formatIDRanges(ranges []idRangeReport) string {
	parts := make([]string, len(ranges))
	for i, s := range ranges {
		last := uint64(s.First) + uint64(s.Count) - 1
		if s.Count <= 1 {
			parts[i] = fmt.Sprintf("%#x", s.First)
		} else {
			parts[i] = fmt.Sprintf("%#x-%#x", s.First, last)
		}
	}
	return strings.Join(parts, ",")
}

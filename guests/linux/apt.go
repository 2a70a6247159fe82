package linux

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
)

// Architecture is the Debian architecture of every package the kit uses.
const Architecture = "arm64"

// Apt runs apt-get with a private configuration in Dir: arm64 as the only
// architecture, and its own package lists, status and cache, so that the
// machine's apt state and its configured architectures stay as they are
// (no dpkg --add-architecture). What it takes from the machine is where
// packages come from: the sources and their keys, and the Acquire settings
// (proxies, Valid-Until checks) apt needs to reach them. It works for any
// user who can write Dir.
type Apt struct {
	// Dir holds the configuration, lists and cache (build/apt).
	Dir string
	// Stdout and Stderr receive apt's own output.
	Stdout, Stderr io.Writer

	sandboxUser string
}

// systemPathKeys are the machine's apt files the private configuration
// points at: a variable name for apt-config shell and the configuration
// key, whose /f (file) or /d (directory) suffix makes apt-config print an
// absolute path.
var systemPathKeys = []struct{ Variable, Key string }{
	{"SOURCELIST", "Dir::Etc::sourcelist/f"},
	{"SOURCEPARTS", "Dir::Etc::sourceparts/d"},
	{"TRUSTED", "Dir::Etc::trusted/f"},
	{"TRUSTEDPARTS", "Dir::Etc::trustedparts/d"},
	{"NETRC", "Dir::Etc::netrc/f"},
	{"NETRCPARTS", "Dir::Etc::netrcparts/d"},
}

// inheritedPrefixes select the machine's settings the private
// configuration copies; inheritedExcluded are left out of them: extra index
// targets (DEP-11 metadata, Contents) that nothing here needs.
var (
	inheritedPrefixes = []string{"Acquire::", "APT::Sandbox::"}
	inheritedExcluded = []string{"Acquire::IndexTargets"}
)

// ConfigPath is the private configuration file, for APT_CONFIG.
func (a *Apt) ConfigPath() string { return filepath.Join(a.Dir, "apt.conf") }

// Prepare creates the private directories and writes the configuration,
// taking the machine's settings from apt-config.
func (a *Apt) Prepare() error {
	for _, tool := range []string{"apt-get", "apt-config"} {
		if _, err := exec.LookPath(tool); err != nil {
			return fmt.Errorf("%s not found: make guests fetches Debian packages with apt, so it needs a Debian or Ubuntu machine; "+
				"elsewhere, point the config's kernel image and initrd at files you build yourself", tool)
		}
	}
	dir, err := filepath.Abs(a.Dir)
	if err != nil {
		return err
	}
	a.Dir = dir
	for _, d := range []string{"etc/apt.conf.d", "etc/preferences.d", "state/lists/partial", "cache/archives/partial"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			return fmt.Errorf("%w; make guests needs a writable build directory", err)
		}
	}
	// An empty dpkg status: nothing is installed for arm64.
	if err := os.WriteFile(filepath.Join(dir, "state", "status"), nil, 0o644); err != nil {
		return err
	}
	shellArgs := []string{"shell"}
	for _, p := range systemPathKeys {
		shellArgs = append(shellArgs, p.Variable, p.Key)
	}
	shell, err := systemAptConfig(shellArgs...)
	if err != nil {
		return err
	}
	paths, err := ParseAptShell(shell)
	if err != nil {
		return fmt.Errorf("apt-config shell: %w", err)
	}
	dump, err := systemAptConfig("dump")
	if err != nil {
		return err
	}
	inherited := InheritedSettings(dump)
	a.sandboxUser = settingValue(inherited, "APT::Sandbox::User")
	conf, err := PrivateConfig(dir, paths, inherited)
	if err != nil {
		return err
	}
	return os.WriteFile(a.ConfigPath(), []byte(conf), 0o644)
}

// systemAptConfig runs apt-config on the machine's own configuration.
func systemAptConfig(args ...string) (string, error) {
	cmd := exec.Command("apt-config", args...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("apt-config %s: %v: %s", args[0], err, strings.TrimSpace(stderr.String()))
	}
	return string(out), nil
}

// PrivateConfig returns the configuration file of a private apt in dir.
// systemPaths holds the machine's files by the variable names of
// systemPathKeys; inherited are apt-config dump lines to copy.
func PrivateConfig(dir string, systemPaths map[string]string, inherited []string) (string, error) {
	var b strings.Builder
	b.WriteString("// Private apt configuration of make guests (written by guests/linux; do not edit).\n")
	b.WriteString("// arm64 only, with its own state and cache, and the machine's sources and keys.\n")
	set := func(key, value string) error {
		if strings.ContainsAny(value, "\"\\\n") {
			return fmt.Errorf("apt configuration %s: %q cannot be written in apt.conf syntax; use a path without quotes or backslashes", key, value)
		}
		fmt.Fprintf(&b, "%s \"%s\";\n", key, value)
		return nil
	}
	private := []struct{ key, path string }{
		// Read no configuration of the machine's beyond what this file
		// copies: its apt.conf.d may hold hooks that touch its own
		// cache, and preferences for its own architecture.
		{"Dir::Etc::main", "etc/apt.conf"},
		{"Dir::Etc::parts", "etc/apt.conf.d"},
		{"Dir::Etc::preferences", "etc/preferences"},
		{"Dir::Etc::preferencesparts", "etc/preferences.d"},
		{"Dir::State", "state"},
		{"Dir::State::status", "state/status"},
		{"Dir::Cache", "cache"},
	}
	for _, p := range private {
		if err := set(p.key, filepath.Join(dir, p.path)); err != nil {
			return "", err
		}
	}
	// The binary caches only speed up repeated queries; skip them.
	set("Dir::Cache::pkgcache", "")
	set("Dir::Cache::srcpkgcache", "")
	for _, p := range systemPathKeys {
		key, _, _ := strings.Cut(p.Key, "/")
		value, ok := systemPaths[p.Variable]
		if !ok {
			continue // unset on this machine: apt's default applies
		}
		if err := set(key, value); err != nil {
			return "", err
		}
	}
	set("APT::Architecture", Architecture)
	b.WriteString("#clear APT::Architectures;\n")
	set("APT::Architectures::", Architecture)
	if len(inherited) > 0 {
		b.WriteString("// The machine's settings for reaching its sources, and apt's download sandbox.\n")
		for _, line := range inherited {
			b.WriteString(line)
			b.WriteByte('\n')
		}
	}
	return b.String(), nil
}

// InheritedSettings picks from apt-config dump output the lines the
// private configuration copies.
func InheritedSettings(dump string) []string {
	var lines []string
	for _, line := range strings.Split(dump, "\n") {
		key, _, _ := strings.Cut(line, " ")
		if !hasAnyPrefix(key, inheritedPrefixes) || hasAnyPrefix(key, inheritedExcluded) {
			continue
		}
		lines = append(lines, line)
	}
	return lines
}

// settingValue returns the value of key in apt-config dump lines, "" if
// it is not there.
func settingValue(lines []string, key string) string {
	for _, line := range lines {
		k, quoted, _ := strings.Cut(line, " ")
		if k == key {
			return strings.TrimSuffix(strings.TrimSuffix(strings.TrimPrefix(quoted, `"`), ";"), `"`)
		}
	}
	return ""
}

func hasAnyPrefix(s string, prefixes []string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

// ParseAptShell parses apt-config shell output: NAME='value' lines, in
// which a single quote inside a value is closed, escaped and reopened.
func ParseAptShell(out string) (map[string]string, error) {
	values := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if line == "" {
			continue
		}
		name, quoted, ok := strings.Cut(line, "=")
		if !ok {
			return nil, fmt.Errorf("unexpected line %q", line)
		}
		value, err := unquoteShell(quoted)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		values[name] = value
	}
	return values, nil
}

// unquoteShell undoes POSIX shell quoting made of single-quoted runs and
// backslash-escaped characters.
func unquoteShell(s string) (string, error) {
	var b strings.Builder
	for len(s) > 0 {
		switch s[0] {
		case '\'':
			end := strings.IndexByte(s[1:], '\'')
			if end < 0 {
				return "", errors.New("unterminated quote")
			}
			b.WriteString(s[1 : 1+end])
			s = s[end+2:]
		case '\\':
			if len(s) < 2 {
				return "", errors.New("backslash at the end")
			}
			b.WriteByte(s[1])
			s = s[2:]
		default:
			return "", fmt.Errorf("unquoted %q", s)
		}
	}
	return b.String(), nil
}

// Update downloads the arm64 package indexes of the machine's sources.
func (a *Apt) Update() error {
	return a.run("", "update")
}

// Download fetches the pinned package into dest (after Prepare and Update), after checking it against
// the pin's SHA-256 (apt itself checks it against the signed index).
func (a *Apt) Download(pin Pin, dest string) error {
	tmp, err := os.MkdirTemp(a.Dir, "download-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	if err := a.sandbox(tmp); err != nil {
		return err
	}
	if err := a.run(tmp, "download", pin.AptName()); err != nil {
		return fmt.Errorf("%s: %s: %w; if the sources no longer have this version, list theirs with "+
			"APT_CONFIG=%s apt-cache policy %s and update the pin's version and SHA-256",
			pin.VersionPos, pin.Name+versionSuffix, err, a.ConfigPath(), pin.Package)
	}
	debs, err := filepath.Glob(filepath.Join(tmp, "*.deb"))
	if err != nil {
		return err
	}
	if len(debs) != 1 {
		return fmt.Errorf("apt-get download %s left %d .deb files, expected one", pin.AptName(), len(debs))
	}
	if err := pin.Verify(debs[0]); err != nil {
		return err
	}
	if err := os.Chown(debs[0], os.Geteuid(), os.Getegid()); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(dest), 0o755); err != nil {
		return err
	}
	return os.Rename(debs[0], dest)
}

// sandbox lets apt's unprivileged download user (APT::Sandbox::User) write
// dir when running as root; apt would otherwise download as root, with a
// warning.
func (a *Apt) sandbox(dir string) error {
	if os.Geteuid() != 0 || a.sandboxUser == "" {
		return nil
	}
	u, err := user.Lookup(a.sandboxUser)
	if err != nil {
		return nil // no such user: apt downloads as root, and says so
	}
	uid, err := strconv.Atoi(u.Uid)
	if err != nil {
		return nil
	}
	return os.Chown(dir, uid, 0)
}

// run runs apt-get with the private configuration, in dir if set.
func (a *Apt) run(dir string, args ...string) error {
	cmd := exec.Command("apt-get", append([]string{"-q"}, args...)...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "APT_CONFIG="+a.ConfigPath())
	cmd.Stdout, cmd.Stderr = a.Stdout, a.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("apt-get %s: %w", strings.Join(args, " "), err)
	}
	return nil
}

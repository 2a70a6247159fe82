package linux

import (
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

func TestParseAptShell(t *testing.T) {
	tests := []struct {
		name, out string
		want      map[string]string
		wantErr   string
	}{
		{"paths", "SOURCELIST='/etc/apt/sources.list'\nSOURCEPARTS='/etc/apt/sources.list.d/'\n",
			map[string]string{"SOURCELIST": "/etc/apt/sources.list", "SOURCEPARTS": "/etc/apt/sources.list.d/"}, ""},
		{"quote inside", `U='it'\''s'` + "\n", map[string]string{"U": "it's"}, ""},
		{"empty value", "U=''\n", map[string]string{"U": ""}, ""},
		{"nothing set", "", map[string]string{}, ""},
		{"no assignment", "SOURCELIST\n", nil, `unexpected line "SOURCELIST"`},
		{"unterminated", "U='abc\n", nil, "U: unterminated quote"},
		{"unquoted", "U=abc\n", nil, `U: unquoted "abc"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseAptShell(tt.out)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Errorf("error %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestInheritedSettings(t *testing.T) {
	dump := strings.Join([]string{
		`APT::Architecture "amd64";`,
		`APT::Sandbox::User "_apt";`,
		`APT::Update::Post-Invoke:: "rm -f /var/cache/apt/archives/*.deb";`,
		`Dir::Etc::parts "apt.conf.d";`,
		`Acquire::http::Proxy "http://proxy.example:3128";`,
		`Acquire::Check-Valid-Until "false";`,
		`Acquire::IndexTargets::deb::DEP-11::MetaKey "$(COMPONENT)/dep11/Components-$(NATIVE_ARCHITECTURE).yml";`,
		`Acquire::Languages:: "none";`,
		`DPkg::Post-Invoke:: "true";`,
	}, "\n")
	want := []string{
		`APT::Sandbox::User "_apt";`,
		`Acquire::http::Proxy "http://proxy.example:3128";`,
		`Acquire::Check-Valid-Until "false";`,
		`Acquire::Languages:: "none";`,
	}
	if got := InheritedSettings(dump); !reflect.DeepEqual(got, want) {
		t.Errorf("InheritedSettings =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if got := settingValue(want, "APT::Sandbox::User"); got != "_apt" {
		t.Errorf("sandbox user %q, want _apt", got)
	}
}

func TestPrivateConfig(t *testing.T) {
	systemPaths := map[string]string{
		"SOURCELIST":   "/etc/apt/sources.list",
		"SOURCEPARTS":  "/etc/apt/sources.list.d/",
		"TRUSTEDPARTS": "/etc/apt/trusted.gpg.d/",
	}
	inherited := []string{`Acquire::Check-Valid-Until "false";`}
	want := []string{
		`// Private apt configuration of make guests (written by guests/linux; do not edit).`,
		`// arm64 only, with its own state and cache, and the machine's sources and keys.`,
		`Dir::Etc::main "/b/apt/etc/apt.conf";`,
		`Dir::Etc::parts "/b/apt/etc/apt.conf.d";`,
		`Dir::Etc::preferences "/b/apt/etc/preferences";`,
		`Dir::Etc::preferencesparts "/b/apt/etc/preferences.d";`,
		`Dir::State "/b/apt/state";`,
		`Dir::State::status "/b/apt/state/status";`,
		`Dir::Cache "/b/apt/cache";`,
		`Dir::Cache::pkgcache "";`,
		`Dir::Cache::srcpkgcache "";`,
		`Dir::Etc::sourcelist "/etc/apt/sources.list";`,
		`Dir::Etc::sourceparts "/etc/apt/sources.list.d/";`,
		`Dir::Etc::trustedparts "/etc/apt/trusted.gpg.d/";`,
		`APT::Architecture "arm64";`,
		`#clear APT::Architectures;`,
		`APT::Architectures:: "arm64";`,
		`// The machine's settings for reaching its sources, and apt's download sandbox.`,
		`Acquire::Check-Valid-Until "false";`,
	}
	got, err := PrivateConfig("/b/apt", systemPaths, inherited)
	if err != nil {
		t.Fatal(err)
	}
	if gotLines := strings.Split(strings.TrimSuffix(got, "\n"), "\n"); !reflect.DeepEqual(gotLines, want) {
		t.Errorf("PrivateConfig =\n%s\nwant\n%s", got, strings.Join(want, "\n"))
	}

	if _, err := PrivateConfig(`/b/"apt"`, systemPaths, nil); err == nil || !strings.Contains(err.Error(), "cannot be written in apt.conf syntax") {
		t.Errorf("a directory with quotes: %v", err)
	}
}

// TestPrivateConfigWithApt has apt itself read the configuration Prepare
// writes, and checks that it is arm64-only, keeps its state in the
// private directory, reads the machine's sources, and runs none of the
// machine's hooks.
func TestPrivateConfigWithApt(t *testing.T) {
	if _, err := exec.LookPath("apt-config"); err != nil {
		t.Skip("apt-config not installed: not a Debian machine")
	}
	dir := t.TempDir()
	apt := &Apt{Dir: dir, Stdout: io.Discard, Stderr: io.Discard}
	if err := apt.Prepare(); err != nil {
		t.Fatal(err)
	}
	system, err := exec.Command("apt-config", "shell", "SOURCEPARTS", "Dir::Etc::sourceparts/d").Output()
	if err != nil {
		t.Fatal(err)
	}
	systemPaths, err := ParseAptShell(string(system))
	if err != nil {
		t.Fatal(err)
	}

	cmd := exec.Command("apt-config", "dump")
	cmd.Env = append(os.Environ(), "APT_CONFIG="+apt.ConfigPath())
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("apt-config dump with the private configuration: %v", err)
	}
	dump := string(out)
	wantLines := []string{
		`APT::Architecture "arm64";`,
		`APT::Architectures:: "arm64";`,
		`Dir::State "` + filepath.Join(dir, "state") + `";`,
		`Dir::State::status "` + filepath.Join(dir, "state", "status") + `";`,
		`Dir::Cache "` + filepath.Join(dir, "cache") + `";`,
		`Dir::Etc::parts "` + filepath.Join(dir, "etc", "apt.conf.d") + `";`,
		`Dir::Etc::sourceparts "` + systemPaths["SOURCEPARTS"] + `";`,
	}
	lines := strings.Split(dump, "\n")
	for _, want := range wantLines {
		if !slices.Contains(lines, want) {
			t.Errorf("private configuration lacks %s", want)
		}
	}
	for _, hook := range []string{"APT::Update::Pre-Invoke", "APT::Update::Post-Invoke", "DPkg::Post-Invoke", "Acquire::IndexTargets::deb::DEP-11"} {
		if strings.Contains(dump, hook) {
			t.Errorf("private configuration has the machine's %s", hook)
		}
	}
	if n := strings.Count(dump, "APT::Architectures:: "); n != 1 {
		t.Errorf("private configuration has %d architectures, want arm64 only", n)
	}
}

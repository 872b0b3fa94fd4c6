package conformance

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/spacedog-oss/batchkit/suites/specs"
)

func TestAZeroFieldKeepsTheFlagsDefault(t *testing.T) {
	s, err := settings(Config{Target: "https://backend.example"})
	if err != nil {
		t.Fatal(err)
	}
	want := specs.Defaults()
	want.Target = "https://backend.example"
	if s != want {
		t.Errorf("settings = %+v, want the defaults %+v", s, want)
	}
}

// Each field of Config that is a setting reaches the setting of its name:
// every field set to a value of its own, none is lost or crossed.
func TestEachFieldReachesItsSetting(t *testing.T) {
	var cfg Config
	v := reflect.ValueOf(&cfg).Elem()
	for i := range v.NumField() {
		if !slices.Contains(apiOnly, v.Type().Field(i).Name) {
			v.Field(i).Set(distinct(v.Field(i).Type(), i))
		}
	}
	s := reflect.ValueOf(over(specs.Defaults(), cfg))
	for i := range v.NumField() {
		name := v.Type().Field(i).Name
		if slices.Contains(apiOnly, name) {
			continue
		}
		if got := s.FieldByName(name); !got.IsValid() || !got.Equal(v.Field(i)) {
			t.Errorf("Config.%s = %v reaches the setting as %v", name, v.Field(i), got)
		}
	}
}

// distinct is a value of type typ, not zero, that differs with i.
func distinct(typ reflect.Type, i int) reflect.Value {
	v := reflect.New(typ).Elem()
	switch typ.Kind() {
	case reflect.String:
		v.SetString(fmt.Sprint("value", i))
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int, reflect.Int64:
		v.SetInt(int64(100 + i))
	case reflect.Uint64:
		v.SetUint(uint64(100 + i))
	default:
		panic("no distinct value of " + typ.String())
	}
	return v
}

// TestConfigIsTheSuitesSettings: Config and the suites' settings are one
// list, held to the flags that set the suites up (drift).
func TestConfigIsTheSuitesSettings(t *testing.T) {
	for _, problem := range drift(reflect.TypeFor[Config](), (*specs.Settings).Register) {
		t.Error(problem)
	}
}

// The drift check fails on what it exists to catch: a flag of the suites
// whose setting is in neither list, a setting Config lacks, a field of
// Config the suites lack, a type that differs, a setting that a zero
// field could never turn off.
func TestTheDriftCheckSeesEachKindOfDrift(t *testing.T) {
	type settings struct {
		Target  string
		Workers int
		On      bool
	}
	type api struct {
		Target  string
		Workers int64
		Handler http.Handler
		Color   string
	}
	var outside string
	register := func(s *settings, fs *flag.FlagSet) {
		fs.StringVar(&s.Target, "target", "", "")
		fs.IntVar(&s.Workers, "workers", 1, "")
		fs.BoolVar(&s.On, "on", true, "")
		fs.StringVar(&outside, "conc-mode", "", "a setting in neither list")
	}
	got := strings.Join(drift(reflect.TypeFor[api](), register), "\n")
	for _, want := range []string{
		"--conc-mode sets no field",
		"setting Workers is an int, Config's field Workers an int64",
		"setting On has no field in Config",
		"--on defaults to true",
		"Config.Color is no setting of the suites",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("the check does not say %q; it says:\n%s", want, got)
		}
	}
}

// drift compares the API's Config type with the suites' settings and the
// flags that set them: each flag that register defines must set a field
// of the settings, each setting must have its flag and a field of Config
// of its name and type, and each field of Config but apiOnly must be a
// setting. A zero field keeps its setting's default, so a boolean setting
// must default to false, or no Config could turn it off.
func drift[S any](api reflect.Type, register func(*S, *flag.FlagSet)) []string {
	var problems []string
	var s S
	fs := flag.NewFlagSet("suites", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	register(&s, fs)
	sv := reflect.ValueOf(&s).Elem()
	flagged := map[string]bool{}
	fs.VisitAll(func(f *flag.Flag) {
		before := reflect.ValueOf(s)
		for _, value := range []string{"true", "false", "7", "7s", "http://x.example"} {
			if f.Value.Set(value) == nil && f.Value.String() != f.DefValue {
				break
			}
		}
		field := ""
		for i := range sv.NumField() {
			if !sv.Field(i).Equal(before.Field(i)) {
				field = sv.Type().Field(i).Name
			}
		}
		if field == "" {
			problems = append(problems, fmt.Sprintf("--%s sets no field of the suites' settings: a setting in neither list", f.Name))
			return
		}
		flagged[field] = true
		if sv.FieldByName(field).Kind() == reflect.Bool && f.DefValue != "false" {
			problems = append(problems, fmt.Sprintf("--%s defaults to %s: a zero Config field could not turn it off", f.Name, f.DefValue))
		}
	})
	for i := range sv.NumField() {
		sf := sv.Type().Field(i)
		af, ok := api.FieldByName(sf.Name)
		switch {
		case !flagged[sf.Name]:
			problems = append(problems, fmt.Sprintf("setting %s has no flag", sf.Name))
		case !ok:
			problems = append(problems, fmt.Sprintf("setting %s has no field in Config", sf.Name))
		case af.Type != sf.Type:
			problems = append(problems, fmt.Sprintf("setting %s is an %s, Config's field %s an %s", sf.Name, sf.Type, af.Name, af.Type))
		}
	}
	for i := range api.NumField() {
		af := api.Field(i)
		if _, ok := sv.Type().FieldByName(af.Name); !ok && !slices.Contains(apiOnly, af.Name) {
			problems = append(problems, fmt.Sprintf("Config.%s is no setting of the suites", af.Name))
		}
	}
	return problems
}

func TestABadConfigIsNamed(t *testing.T) {
	h := http.NotFoundHandler()
	for _, tc := range []struct {
		cfg  Config
		want string
	}{
		{Config{}, "a Target or a Handler"},
		{Config{Target: "https://a.example", Handler: h}, "both a Target and a Handler"},
		{Config{Target: "localhost:8080"}, "--target"},
		{Config{Handler: h, Profile: "v2"}, "--profile"},
		{Config{Handler: h, MaxBatch: 3}, "--max-batch"},
		{Config{Handler: h, Username: "fred"}, "--password"},
		{Config{Handler: h, RequestTimeout: -time.Second}, "--request-timeout"},
	} {
		if _, err := settings(tc.cfg); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: error %v, want one naming %s", tc.cfg, err, tc.want)
		}
	}
}

// The child runs exactly the calling test: its pattern matches the name
// and no sibling, whatever the name holds.
func TestTheChildRunsTheCallingTestAlone(t *testing.T) {
	for _, tc := range []struct{ name, want string }{
		{"TestConformance", "^TestConformance$"},
		{"TestX/spacedog-2016", "^TestX$/^spacedog-2016$"},
		{"TestX/a.b_(c)#01", `^TestX$/^a\.b_\(c\)#01$`},
	} {
		if got := runPattern(tc.name); got != tc.want {
			t.Errorf("runPattern(%q) = %q, want %q", tc.name, got, tc.want)
		}
	}
	got := passedOn([]string{"-test.v=true", "-ginkgo.focus", "ORD", "-ginkgo.v", "--ginkgo.seed=3", "-conformance.gen-seed", "9", "-x"})
	want := []string{"-ginkgo.focus", "ORD", "-ginkgo.v", "--ginkgo.seed=3", "-conformance.gen-seed", "9"}
	if !slices.Equal(got, want) {
		t.Errorf("passedOn = %q, want %q", got, want)
	}
}

// The parent reads reports beside its run's token alone: none is a child
// that ran no suites, or one that wrote none; another token, another run
// writing into the same folder.
func TestTheVerdictIsReadBesideTheRunsToken(t *testing.T) {
	for _, tc := range []struct {
		token  string // "": none left
		runErr error
		want   string
	}{
		{"", nil, "ended without running the suites"},
		{"", errors.New("exit status 2"), "the suites wrote no results (exit status 2)"},
		{"another", nil, "another run's"},
	} {
		dir := t.TempDir()
		if tc.token != "" {
			if err := os.WriteFile(filepath.Join(dir, tokenFile), []byte(tc.token), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		// An earlier run's results, which conform: never read.
		if err := os.WriteFile(filepath.Join(dir, "results.json"), []byte(`{"conforms":true}`), 0o644); err != nil {
			t.Fatal(err)
		}
		if failure, _ := verdict(dir, "this run's", 1, tc.runErr); !strings.Contains(failure, tc.want) {
			t.Errorf("token %q, %v: failure %q, want one saying %q", tc.token, tc.runErr, failure, tc.want)
		}
	}
}

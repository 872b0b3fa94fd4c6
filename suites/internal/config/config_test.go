package config

import (
	"flag"
	"io"
	"strings"
	"testing"
)

func parse(args []string, env map[string]string) (Config, error) {
	var c Config
	fs := flag.NewFlagSet("suites", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	c.Register(fs)
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	return c, c.Complete(fs, func(k string) string { return env[k] })
}

func TestFlagsWinOverTheEnvironment(t *testing.T) {
	c, err := parse([]string{"--target=https://flag.example", "--strict"},
		map[string]string{"SPACEDOG_TARGET": "https://env.example", "SPACEDOG_MAX_BATCH": "20", "SPACEDOG_USERNAME": "fred", "SPACEDOG_PASSWORD": "x"})
	if err != nil {
		t.Fatal(err)
	}
	if c.Target != "https://flag.example" || c.MaxBatch != 20 || !c.Strict || c.Username != "fred" || c.Profile != "doc" {
		t.Errorf("%+v", c)
	}
}

func TestBadSettingsAreNamed(t *testing.T) {
	for _, tc := range []struct {
		args []string
		env  map[string]string
		want string
	}{
		{[]string{"--target=localhost:8080"}, nil, "--target"},
		{[]string{"--profile=v2"}, nil, "--profile"},
		{nil, map[string]string{"SPACEDOG_MAX_BATCH": "0"}, "--max-batch"},
		{nil, map[string]string{"SPACEDOG_STRICT": "maybe"}, "SPACEDOG_STRICT"},
		{[]string{"--username=fred"}, nil, "--password"},
		{[]string{"--request-timeout=0s"}, nil, "--request-timeout"},
		{nil, map[string]string{"SPACEDOG_RUN_TIMEOUT": "soon"}, "SPACEDOG_RUN_TIMEOUT"},
		{[]string{"--max-reply=0"}, nil, "--max-reply"},
		{[]string{"--conc-clients=1"}, nil, "--conc-clients"},
		{nil, map[string]string{"SPACEDOG_CONC_BUDGET": "0s"}, "--conc-budget"},
	} {
		if _, err := parse(tc.args, tc.env); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v %v: error %v, want one naming %s", tc.args, tc.env, err, tc.want)
		}
	}
}

func TestDeletingEverythingIsForTheOwnMockOrWhenAllowed(t *testing.T) {
	for _, tc := range []struct {
		args []string
		env  map[string]string
		may  bool
	}{
		{nil, nil, true},
		{[]string{"--target=https://live.example"}, nil, false},
		{[]string{"--target=https://live.example", "--destructive"}, nil, true},
		{[]string{"--target=https://live.example"}, map[string]string{"SPACEDOG_DESTRUCTIVE": "true"}, true},
		{[]string{"--target=https://live.example", "--destructive=false"}, map[string]string{"SPACEDOG_DESTRUCTIVE": "true"}, false},
	} {
		c, err := parse(tc.args, tc.env)
		if err != nil {
			t.Fatal(err)
		}
		if got := c.MayDeleteAll(); got != tc.may {
			t.Errorf("%v %v: may delete all: %v, want %v", tc.args, tc.env, got, tc.may)
		}
	}
}

func TestTheDefaultsAreTheFlagsDefaultsAndComplete(t *testing.T) {
	c, err := parse(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	d := Defaults()
	if d != c {
		t.Errorf("Defaults() = %+v, want the flags' %+v", d, c)
	}
	if err := d.Check(); err != nil {
		t.Errorf("the defaults do not check: %v", err)
	}
}

// Package suites_test runs the conformance suites (package specs) under go
// test, ginkgo and as bin/spacedog-conformance.
//
// It runs them against an in-process mock by default, or a live backend:
//
//	go tool ginkgo ./suites -- --target=https://mybackend.example --username=u --password=p
//
// This test reads the run's settings from the flags after -- and the
// SPACEDOG_* environment; bin/spacedog-conformance is this test compiled.
package suites_test

import (
	"flag"
	"fmt"
	"os"
	"testing"

	. "github.com/onsi/ginkgo/v2"

	"github.com/spacedog-oss/batchkit/internal/buildinfo"
	"github.com/spacedog-oss/batchkit/suites/internal/config"
	"github.com/spacedog-oss/batchkit/suites/specs"
)

// settings are the run's, from the flags after -- and the environment.
var settings config.Config

func init() { settings.Register(flag.CommandLine) }

// showVersion makes the suites' binary print the kit's version instead of
// running: spacedog-conformance --version.
var showVersion = flag.Bool("version", false, "print the kit's version and exit")

func TestMain(m *testing.M) {
	flag.CommandLine.Usage = func() { usage(flag.CommandLine.Output()) }
	flag.Parse()
	if *showVersion {
		fmt.Println("spacedog-conformance", buildinfo.Version())
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func TestConformance(t *testing.T) {
	if err := settings.Complete(flag.CommandLine, os.Getenv); err != nil {
		t.Fatal(err)
	}
	sc, rc := GinkgoConfiguration()
	specs.Run(t, settings, sc, rc, specs.Invocation{})
}

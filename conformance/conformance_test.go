package conformance

import (
	"net/http"
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

func TestEachFieldReachesItsSetting(t *testing.T) {
	s, err := settings(Config{Target: "http://127.0.0.1:9", Profile: "spacedog-2016",
		Username: "u", Password: "p", Username2: "u2", Password2: "p2", UsersEnforced: true,
		MaxBatch: 20, MaxBody: 2048, Strict: true, RequireAll: true, Destructive: true,
		RequestTimeout: time.Second, MaxReply: 4096, RunTimeout: time.Minute,
		GenSeed: 7, GenSequences: 3, GenSteps: 4, GenBudget: 2 * time.Second,
		ConcClients: 3, ConcOps: 50, ConcBudget: time.Second, ConcSeed: 9, ConcCheckTimeout: 5 * time.Second, ReportDir: "r"})
	if err != nil {
		t.Fatal(err)
	}
	want := specs.Settings{Target: "http://127.0.0.1:9", Profile: "spacedog-2016",
		Username: "u", Password: "p", Username2: "u2", Password2: "p2", UsersEnforced: true,
		MaxBatch: 20, MaxBody: 2048, Strict: true, RequireAll: true, Destructive: true,
		RequestTimeout: time.Second, MaxReply: 4096, RunTimeout: time.Minute,
		GenSeed: 7, GenSequences: 3, GenSteps: 4, GenBudget: 2 * time.Second,
		ConcClients: 3, ConcOps: 50, ConcBudget: time.Second, ConcSeed: 9, ConcCheckTimeout: 5 * time.Second, ReportDir: "r"}
	if s != want {
		t.Errorf("settings = %+v, want %+v", s, want)
	}
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

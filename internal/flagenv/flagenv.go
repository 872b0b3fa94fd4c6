// Package flagenv lets every flag of a flag set be given as an environment
// variable too, the flag winning when both are given.
package flagenv

import (
	"flag"
	"fmt"
	"strings"
)

// Name is the variable of a flag: the prefix, then the flag's name in
// capitals with dashes as underscores (max-batch: PREFIX_MAX_BATCH).
func Name(prefix, flagName string) string {
	return prefix + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// Apply sets each flag of fs that the command line did not set from its
// variable, when that is not empty. Call it after fs.Parse. A --version
// flag has no variable: PREFIX_VERSION more likely holds the version of
// something else, in a CI job's environment, than asks for the binary's.
func Apply(fs *flag.FlagSet, prefix string, getenv func(string) string) error {
	set := map[string]bool{"version": true}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	var err error
	fs.VisitAll(func(f *flag.Flag) {
		name := Name(prefix, f.Name)
		if v := getenv(name); v != "" && !set[f.Name] && err == nil {
			if serr := f.Value.Set(v); serr != nil {
				err = fmt.Errorf("%s=%q: %v", name, v, serr)
			}
		}
	})
	return err
}

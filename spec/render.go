package spec

import (
	"fmt"
	"io/fs"
)

// Render returns a profile's document from the source files in fsys:
// openapi.yaml, with PROFILE.patch.yaml merged over it for a profile other
// than doc. It is what YAML serves, rendered from any tree of sources, such
// as a past commit's.
func Render(fsys fs.FS, profile string) ([]byte, error) {
	doc, err := fs.ReadFile(fsys, "openapi.yaml")
	if err != nil {
		return nil, fmt.Errorf("spec: %w", err)
	}
	if profile == Doc {
		return doc, nil
	}
	patch, err := fs.ReadFile(fsys, profile+".patch.yaml")
	if err != nil {
		return nil, fmt.Errorf("spec: profile %s: %w", profile, err)
	}
	out, err := applyPatch(doc, patch)
	if err != nil {
		return nil, fmt.Errorf("spec: profile %s: %w", profile, err)
	}
	return out, nil
}

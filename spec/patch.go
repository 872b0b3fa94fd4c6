package spec

import (
	"bytes"
	"fmt"

	"go.yaml.in/yaml/v4"
)

// applyPatch applies a JSON Merge Patch (RFC 7386), written in YAML, to a
// YAML document. It works on YAML nodes, so that the result keeps the
// document's order and comments where the patch leaves them.
func applyPatch(doc, patch []byte) ([]byte, error) {
	var d, p yaml.Node
	if err := yaml.Unmarshal(doc, &d); err != nil {
		return nil, fmt.Errorf("document: %w", err)
	}
	if err := yaml.Unmarshal(patch, &p); err != nil {
		return nil, fmt.Errorf("patch: %w", err)
	}
	if len(d.Content) != 1 || len(p.Content) != 1 {
		return nil, fmt.Errorf("the document and the patch must each hold one YAML document")
	}
	merged := mergePatch(d.Content[0], p.Content[0])
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(merged); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// mergePatch is RFC 7386's MergePatch(target, patch) over YAML nodes: a
// mapping merges member by member, a null removes a member, anything else
// replaces the target whole. Neither argument is modified.
func mergePatch(target, patch *yaml.Node) *yaml.Node {
	if patch.Kind != yaml.MappingNode {
		return patch
	}
	out := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
	if target != nil && target.Kind == yaml.MappingNode {
		*out = *target
		out.Content = append([]*yaml.Node(nil), target.Content...)
	}
	for i := 0; i+1 < len(patch.Content); i += 2 {
		key, value := patch.Content[i], patch.Content[i+1]
		at := -1
		for j := 0; j+1 < len(out.Content); j += 2 {
			if out.Content[j].Value == key.Value {
				at = j
				break
			}
		}
		switch {
		case value.Kind == yaml.ScalarNode && value.ShortTag() == "!!null":
			if at >= 0 {
				out.Content = append(out.Content[:at:at], out.Content[at+2:]...)
			}
		case at >= 0:
			out.Content[at+1] = mergePatch(out.Content[at+1], value)
		default:
			out.Content = append(out.Content, key, mergePatch(nil, value))
		}
	}
	return out
}

// Package subreq writes batch sub-requests as tests spell them: the one set
// of builders the mock's tests and the suites share.
package subreq

// Item is a batch sub-request: its members by name, as CONTRACT §2 spells
// them, marshalled as JSON.
type Item map[string]any

// Get is an item that reads path.
func Get(path string) Item { return Item{"method": "GET", "path": path} }

// Delete is an item that deletes path.
func Delete(path string) Item { return Item{"method": "DELETE", "path": path} }

// Post is an item that posts content to path.
func Post(path string, content any) Item {
	return Item{"method": "POST", "path": path, "content": content}
}

// Put is an item that puts content at path.
func Put(path string, content any) Item {
	return Item{"method": "PUT", "path": path, "content": content}
}

// With returns a copy of the item with the member k set to v: the item it
// was made from is unchanged, so a table of items can share a base.
func (it Item) With(k string, v any) Item {
	out := make(Item, len(it)+1)
	for key, val := range it {
		out[key] = val
	}
	out[k] = v
	return out
}

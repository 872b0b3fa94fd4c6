package defect

import "net/http"

// The servers that slip on who wrote an object (DATA-1): each keeps every
// other rule, and a reply shows its slip only once an object was updated
// by another user than the one who created it.

// UpdaterIsCreator overwrites meta.createdBy with the updater on every
// update, as a server that writes the whole meta on a save would: an
// object then reads as created by whoever updated it last.
func UpdaterIsCreator(next http.Handler) http.Handler {
	return EveryBody(everyMeta(func(meta map[string]any) { meta["createdBy"] = meta["updatedBy"] }), Compact)(next)
}

// StaleUpdatedBy leaves meta.updatedBy at its value from the creation, as a
// server that sets it on creates only would.
func StaleUpdatedBy(next http.Handler) http.Handler {
	return EveryBody(everyMeta(func(meta map[string]any) { meta["updatedBy"] = meta["createdBy"] }), Compact)(next)
}

// everyMeta applies edit to the meta of an object body, and of each object
// of a listing.
func everyMeta(edit func(meta map[string]any)) func(any) any {
	one := func(v any) {
		if o, ok := v.(map[string]any); ok {
			if meta, ok := o["meta"].(map[string]any); ok {
				edit(meta)
			}
		}
	}
	return func(v any) any {
		one(v)
		if l, ok := v.(map[string]any); ok {
			results, _ := l["results"].([]any)
			for _, o := range results {
				one(o)
			}
		}
		return v
	}
}

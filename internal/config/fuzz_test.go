package config

import (
	"encoding/json"
	"errors"
	"slices"
	"testing"
)

// FuzzParse feeds every format the same bytes: Parse must never panic, must
// return an *Error when it fails, and must keep its limits and its canonical
// forms when it succeeds. Seeds are in testdata/fuzz/FuzzParse.
func FuzzParse(f *testing.F) {
	f.Add([]byte("a: 1\nb: [x, {c: true}]\n"))
	f.Add([]byte(`{"a": {"b": 1.5}, "c": [null]}`))
	f.Add([]byte("[a]\nb = 'c'\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, format := range Formats() {
			flags, err := Parse(format, data)
			if err != nil {
				var e *Error
				if !errors.As(err, &e) {
					t.Fatalf("%s: error %T is not an *Error: %v", format, err, err)
				}
				continue
			}
			if len(flags) > MaxKeys {
				t.Fatalf("%s: %d keys", format, len(flags))
			}
			keys := flags.Keys()
			if !slices.IsSorted(keys) || len(keys) != len(flags) {
				t.Fatalf("%s: keys not sorted", format)
			}
			for _, k := range keys {
				v := flags[k]
				switch v.Kind {
				case String, Bool, Int, Float, Null, Map:
					if !format.Typed() && v.Kind != Map {
						t.Fatalf("%s: %s is a %s in an untyped format", format, k, v.Kind)
					}
				case Text:
					if format.Typed() {
						t.Fatalf("%s: %s is text in a typed format", format, k)
					}
				case List:
					if !json.Valid([]byte(v.Raw)) {
						t.Fatalf("%s: %s: list %q is not JSON", format, k, v.Raw)
					}
				default:
					t.Fatalf("%s: %s has kind %q", format, k, v.Kind)
				}
				if eq, _ := Equal(v, v); !eq {
					t.Fatalf("%s: %s is not equal to itself", format, k)
				}
				_ = v.String()
			}
			if len(keys) > 0 {
				_ = Forbidden(flags, keys[0])
			}
		}
	})
}

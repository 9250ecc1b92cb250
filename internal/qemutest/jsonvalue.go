package qemutest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/big"

	"github.com/google/go-cmp/cmp"
)

// DiffJSON compares two JSON texts as JSON values: object member order,
// white space and the spelling of numbers (1.0, 1e0, 1) do not matter;
// everything else does (a member dropped or added, null against absent,
// a number against a string). It returns "" when they are equal, else a
// go-cmp diff (-want +got); an error when either is not one JSON value.
func DiffJSON(want, got []byte) (string, error) {
	w, err := jsonValue(want)
	if err != nil {
		return "", fmt.Errorf("want: %w", err)
	}
	g, err := jsonValue(got)
	if err != nil {
		return "", fmt.Errorf("got: %w", err)
	}
	return cmp.Diff(w, g), nil
}

// jsonNumber is a JSON number by its exact value.
type jsonNumber string

// jsonValue decodes one JSON value, numbers as their exact rational
// value in lowest terms.
func jsonValue(b []byte) (any, error) {
	if !json.Valid(b) {
		var v any
		if err := json.Unmarshal(b, &v); err != nil {
			return nil, err
		}
		return nil, fmt.Errorf("not one JSON value: %.40q", b)
	}
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, err
	}
	return normalizeNumbers(v)
}

func normalizeNumbers(v any) (any, error) {
	switch v := v.(type) {
	case json.Number:
		r, ok := new(big.Rat).SetString(string(v))
		if !ok {
			return nil, fmt.Errorf("number %s", v)
		}
		return jsonNumber(r.RatString()), nil
	case map[string]any:
		for k, e := range v {
			n, err := normalizeNumbers(e)
			if err != nil {
				return nil, err
			}
			v[k] = n
		}
	case []any:
		for i, e := range v {
			n, err := normalizeNumbers(e)
			if err != nil {
				return nil, err
			}
			v[i] = n
		}
	}
	return v, nil
}

// RoundTrip decodes raw into v (a pointer to a typed value) with
// unmarshal and encodes v again with marshal, as the bindings decode a
// peer's message and a user re-encodes it (nil: encoding/json's). It
// returns "" when the encoding is the same JSON value as raw, else the
// difference (-sent +re-encoded); an error when raw does not decode or v
// does not encode.
func RoundTrip(v any, raw []byte, unmarshal func([]byte, any) error, marshal func(any) ([]byte, error)) (string, error) {
	if unmarshal == nil {
		unmarshal = json.Unmarshal
	}
	if marshal == nil {
		marshal = json.Marshal
	}
	if err := unmarshal(raw, v); err != nil {
		return "", fmt.Errorf("decoding into %T: %w", v, err)
	}
	b, err := marshal(v)
	if err != nil {
		return "", fmt.Errorf("re-encoding %T: %w", v, err)
	}
	return DiffJSON(raw, b)
}

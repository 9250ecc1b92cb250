package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
)

// request is one command to send: its name and its arguments as a JSON
// object (nil for none), plus whether the user asked for out-of-band
// execution (a JSON request with "exec-oob").
type request struct {
	Command string
	Args    map[string]any
	OOB     bool
}

// kvNode is the tree that "key=value" words build: nested keys (a.b=1)
// make inner nodes. Leaves keep the value's text until the schema says how
// to read it ("123" is a string for a str member, a number for an int one).
type kvNode struct {
	keys     []string // insertion order, for stable output
	children map[string]*kvNode
	leaf     bool
	text     string
}

func newKVNode() *kvNode { return &kvNode{children: map[string]*kvNode{}} }

// parseKeyValues reads qmp-shell's "key=value" words into a tree.
func parseKeyValues(words []string) (*kvNode, error) {
	root := newKVNode()
	for _, w := range words {
		key, val, ok := strings.Cut(w, "=")
		if !ok || key == "" {
			return nil, fmt.Errorf("%q is not key=value", w)
		}
		parts := strings.Split(key, ".")
		n := root
		for i, p := range parts {
			if p == "" {
				return nil, fmt.Errorf("%q: empty name in key %q", w, key)
			}
			child, exists := n.children[p]
			last := i == len(parts)-1
			switch {
			case !exists:
				child = newKVNode()
				child.leaf = last
				if last {
					child.text = val
				}
				n.children[p] = child
				n.keys = append(n.keys, p)
			case last || child.leaf:
				return nil, fmt.Errorf("%q: key %q given twice", w, strings.Join(parts[:i+1], "."))
			}
			n = child
		}
	}
	return root, nil
}

// splitWords splits a shell line on white space outside quotes and outside
// JSON brackets, so that name="my vm" and opts={"a": 1} stay one word.
func splitWords(line string) ([]string, error) {
	var words []string
	var cur strings.Builder
	inWord := false
	depth := 0
	var quote byte
	for i := 0; i < len(line); i++ {
		ch := line[i]
		switch {
		case quote != 0:
			cur.WriteByte(ch)
			if ch == '\\' && quote == '"' && i+1 < len(line) {
				i++
				cur.WriteByte(line[i])
			} else if ch == quote {
				quote = 0
			}
			continue
		case ch == '"' || ch == '\'':
			quote = ch
		case ch == '{' || ch == '[':
			depth++
		case ch == '}' || ch == ']':
			if depth > 0 {
				depth--
			}
		case (ch == ' ' || ch == '\t') && depth == 0:
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
			continue
		}
		inWord = true
		cur.WriteByte(ch)
	}
	if quote != 0 {
		return nil, fmt.Errorf("unterminated %c quote", quote)
	}
	if depth != 0 {
		return nil, fmt.Errorf("unbalanced brackets")
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words, nil
}

// decodeJSONValue decodes one JSON value keeping numbers' text exact.
func decodeJSONValue(text string) (any, error) {
	d := json.NewDecoder(strings.NewReader(text))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, err
	}
	if d.More() {
		return nil, fmt.Errorf("text after the JSON value")
	}
	return v, nil
}

// parseJSONRequest reads a request written as QMP JSON:
// {"execute": "NAME", "arguments": {...}} (or "exec-oob").
func parseJSONRequest(text string) (*request, error) {
	v, err := decodeJSONValue(text)
	if err != nil {
		return nil, fmt.Errorf("JSON request: %v", jsonErrorText(err))
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("JSON request: want an object, got %s", jsonKindOf(v))
	}
	r := &request{}
	for k, val := range obj {
		switch k {
		case "execute", "exec-oob":
			name, ok := val.(string)
			if !ok {
				return nil, fmt.Errorf("JSON request: %q must be a string", k)
			}
			if r.Command != "" {
				return nil, fmt.Errorf("JSON request: both \"execute\" and \"exec-oob\"")
			}
			r.Command, r.OOB = name, k == "exec-oob"
		case "arguments":
			args, ok := val.(map[string]any)
			if !ok {
				return nil, fmt.Errorf("JSON request: \"arguments\" must be an object, got %s", jsonKindOf(val))
			}
			r.Args = args
		case "id":
			// Ids are the session's business; a user's is ignored.
		default:
			return nil, fmt.Errorf("JSON request: unexpected member %q", k)
		}
	}
	if r.Command == "" {
		return nil, fmt.Errorf("JSON request: no \"execute\" member")
	}
	return r, nil
}

func jsonErrorText(err error) string {
	if se, ok := err.(*json.SyntaxError); ok {
		return fmt.Sprintf("%v (at byte %d)", se, se.Offset)
	}
	return err.Error()
}

// jsonKindOf names the JSON kind of a decoded value for error messages.
func jsonKindOf(v any) string {
	switch v := v.(type) {
	case nil:
		return "null"
	case bool:
		return "a boolean"
	case json.Number:
		return "a number"
	case string:
		return fmt.Sprintf("a string (%q)", v)
	case []any:
		return "an array"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("%T", v)
}

// encodeJSON renders v compactly without HTML escaping.
func encodeJSON(v any) []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return []byte(fmt.Sprintf("%q", err.Error()))
	}
	return bytes.TrimRight(b.Bytes(), "\n")
}

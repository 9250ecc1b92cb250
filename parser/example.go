package parser

import "strings"

// Examples: the QMP transcripts of doc comments.
//
// QEMU's docs show commands, replies and events as transcripts: lines
// that start with "->" (sent by the client) or "<-" (sent by the server),
// each message a JSON object that may continue over more lines. Since
// QEMU 9.2 a transcript is a ".. qmp-example::" directive (with optional
// ":title:" and ":annotated:" options; an annotated one mixes prose with
// literal blocks); before, it was a section tagged "Example:" or
// "Examples:" (kept by lenient mode as a Plain section with that Tag).
// The messages are kept as written: whether they are valid JSON, and
// valid for the schema, is for their reader to check (QEMU's docs elide
// members with "..." now and then).

// Example is one transcript of a doc comment.
type Example struct {
	// Section is the doc section the transcript is in.
	Section *DocSection
	// Title is the directive's :title: option, "" when it has none (and
	// for legacy "Example:" sections).
	Title string
	// Messages are the transcript's messages in order.
	Messages []ExampleMessage
}

// ExampleMessage is one message of a transcript.
type ExampleMessage struct {
	// FromClient is set for a "->" message (a command) and clear for a
	// "<-" one (a reply or an event).
	FromClient bool
	// Text is the message after the arrow, continuation lines included
	// (joined by "\n" with their indentation).
	Text string
	// Line is the 0-based index, in Section.Text, of the line holding
	// the arrow.
	Line int
}

// Examples returns the transcripts of doc in textual order: its
// ".. qmp-example::" directives and its legacy "Example:" sections.
func (doc *Doc) Examples() []*Example {
	var out []*Example
	for _, s := range doc.AllSections {
		if s.Kind == SectionPlain && strings.Contains(strings.ToLower(s.Tag), "example") {
			lines := strings.Split(s.Text, "\n")
			out = append(out, &Example{Section: s, Messages: transcript(lines, 0, len(lines))})
			continue
		}
		if !strings.Contains(s.Text, "qmp-example") {
			continue
		}
		out = append(out, directiveExamples(s)...)
	}
	return out
}

// directiveExamples finds the ".. qmp-example::" directives of s. A
// directive's content is every following line that is blank or indented
// more than the directive.
func directiveExamples(s *DocSection) []*Example {
	var out []*Example
	lines := strings.Split(s.Text, "\n")
	for i := 0; i < len(lines); i++ {
		l := lines[i]
		if !isQMPExample(l) {
			continue
		}
		ind := indentOf(l)
		ex := &Example{Section: s}
		j := i + 1
		// Options: ":name: value" lines right after the directive.
		for ; j < len(lines); j++ {
			opt := strings.TrimSpace(lines[j])
			if indentOf(lines[j]) <= ind || !strings.HasPrefix(opt, ":") {
				break
			}
			if v, ok := strings.CutPrefix(opt, ":title:"); ok {
				ex.Title = strings.TrimSpace(v)
			}
		}
		end := j
		for end < len(lines) && (strings.TrimSpace(lines[end]) == "" || indentOf(lines[end]) > ind) {
			end++
		}
		ex.Messages = transcript(lines, j, end)
		out = append(out, ex)
		i = end - 1
	}
	return out
}

// isQMPExample reports whether l is a ".. qmp-example::" directive.
func isQMPExample(l string) bool {
	rest, ok := strings.CutPrefix(strings.TrimLeft(l, " "), "..")
	if !ok {
		return false
	}
	rest, ok = strings.CutPrefix(strings.TrimLeft(rest, " "), "qmp-example")
	return ok && strings.HasPrefix(strings.TrimLeft(rest, " "), "::")
}

// transcript collects the messages in lines[from:to]. A message starts
// at a line whose text starts with an arrow and continues over the
// following lines indented more than the arrow (or as much, while a
// JSON value is unfinished: more brackets opened than closed), up to a
// blank line or the next arrow; a blank line inside an unfinished value
// does not end it when the value goes on after it. Lines outside messages (prose, captions) are not part of
// the transcript.
func transcript(lines []string, from, to int) []ExampleMessage {
	var out []ExampleMessage
	for i := from; i < to; i++ {
		fromClient, text, ok := arrow(lines[i])
		if !ok {
			continue
		}
		ind := indentOf(lines[i])
		msg := ExampleMessage{FromClient: fromClient, Line: i}
		parts := []string{text}
		depth := bracketDepth(text)
		j := i + 1
		for j < to {
			l := lines[j]
			if _, _, next := arrow(l); next {
				break
			}
			if strings.TrimSpace(l) == "" {
				// Inside an unfinished value, a blank line is part of
				// the message when the value goes on after it.
				k := j
				for k < to && strings.TrimSpace(lines[k]) == "" {
					k++
				}
				if depth <= 0 || k == to || indentOf(lines[k]) <= ind {
					break
				}
				if _, _, next := arrow(lines[k]); next {
					break
				}
				for ; j < k; j++ {
					parts = append(parts, "")
				}
				continue
			}
			if indentOf(l) < ind || indentOf(l) == ind && depth <= 0 {
				break
			}
			parts = append(parts, l)
			depth += bracketDepth(l)
			j++
		}
		msg.Text = strings.Join(parts, "\n")
		out = append(out, msg)
		i = j - 1
	}
	return out
}

// arrow reports whether l starts a message ("->" or "<-" after
// indentation) and returns the text after the arrow.
func arrow(l string) (fromClient bool, text string, ok bool) {
	t := strings.TrimLeft(l, " ")
	switch {
	case strings.HasPrefix(t, "->"):
		return true, strings.TrimLeft(t[2:], " "), true
	case strings.HasPrefix(t, "<-"):
		return false, strings.TrimLeft(t[2:], " "), true
	}
	return false, "", false
}

// bracketDepth is the number of '{' and '[' minus the number of '}' and
// ']' in l outside JSON strings (a string is taken to end on its line).
func bracketDepth(l string) int {
	depth, inString := 0, false
	for i := 0; i < len(l); i++ {
		c := l[i]
		switch {
		case inString && c == '\\':
			i++
		case c == '"':
			inString = !inString
		case inString:
		case c == '{' || c == '[':
			depth++
		case c == '}' || c == ']':
			depth--
		}
	}
	return depth
}

func indentOf(l string) int { return len(l) - len(strings.TrimLeft(l, " ")) }

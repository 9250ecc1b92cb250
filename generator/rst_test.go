package generator

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// testConverter resolves a few names, as a definition's renderer does
// for its members and the package's definitions.
var testConverter = &rstConverter{link: func(name string) string {
	return map[string]string{
		"StatusInfo":   "StatusInfo",
		"running":      "StatusInfo.Running",
		"query-status": "Conn.QueryStatus",
	}[name]
}}

func TestRSTSection(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		hanging  bool
		want     string
	}{
		{"inline markup and links", "Returns the **current** state, see `StatusInfo` and @running.", false,
			"Returns the current state, see [StatusInfo] and [StatusInfo.Running]."},
		{"literals, roles, escapes, unknown names",
			"Use ``query-status`` (or `query-status`) and :ref:`the manual <manual-ref>`; \\*not\\* @unknown.", false,
			"Use query-status (or [Conn.QueryStatus]) and the manual; *not* unknown."},
		{"text:: opens a literal block", "Example::\n\n    -> { \"execute\": \"stop\" }\n    <- { \"return\": {} }\n\nAfter.", false,
			"Example:\n    \n        -> { \"execute\": \"stop\" }\n        <- { \"return\": {} }\n    \nAfter."},
		{":: alone disappears", "::\n\n    literal\n\nText.", false, "    \n        literal\n    \nText."},
		{"note directive", ".. note:: Only when @running.\n   More note text.\n\nAfter.", false,
			"Note: Only when [StatusInfo.Running].\nMore note text.\n\nAfter."},
		{"admonition", ".. admonition:: Caveat\n\n   Be careful.", false, "Caveat:\n\nBe careful."},
		{"code-block", ".. code-block:: json\n\n   {\"a\": 1}\n\nAfter.", false, "    \n       {\"a\": 1}\n    \nAfter."},
		{"qmp-example", ".. qmp-example::\n\n   -> { \"execute\": \"cont\" }\n   <- { \"return\": {} }", false,
			"Example:\n\n    \n       -> { \"execute\": \"cont\" }\n       <- { \"return\": {} }"},
		{"qmp-example with a title", ".. qmp-example::\n   :title: Resume\n\n   -> { \"execute\": \"cont\" }", false,
			"Example (Resume):\n\n    \n       -> { \"execute\": \"cont\" }"},
		{"annotated qmp-example", ".. qmp-example::\n   :annotated:\n\n   First the VM stops::\n\n     <- { \"event\": \"STOP\" }", false,
			"Example:\n\nFirst the VM stops:\n    \n      <- { \"event\": \"STOP\" }"},
		{"top-level lists are indented", "- first item\n- second item\n\n1. numbered", false, "  - first item\n  - second item\n\n  1. numbered"},
		{"list after a paragraph", "Three states:\n\n* running\n* paused", false, "Three states:\n\n  * running\n  * paused"},
		{"hanging indent removed", "the state\n    of the VM,\n    see @running", true, "the state\nof the VM,\nsee [StatusInfo.Running]"},
		{"hanging indent kept without hanging", "the state\n    of the VM", false, "the state\n    of the VM"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if d := cmp.Diff(tc.want, testConverter.section(tc.in, tc.hanging)); d != "" {
				t.Errorf("section(%q) (-want +got):\n%s", tc.in, d)
			}
		})
	}
}

func TestRSTTaggedSection(t *testing.T) {
	for _, tc := range []struct{ tag, in, want string }{
		{"", "Plain @running text.", "Plain [StatusInfo.Running] text."},
		{"Note", "the VM must be\n      stopped.", "Note: the VM must be\nstopped."},
		{"Notes", "- one\n- two", "Notes:\n\n  - one\n  - two"},
		{"Example", "-> { \"execute\": \"stop\" }\n<- { \"return\": {} }", "Example:\n\n    -> { \"execute\": \"stop\" }\n    <- { \"return\": {} }"},
		{"Examples", "1. Stop the VM\n-> { \"execute\": \"stop\" }", "Examples:\n\n1. Stop the VM\n\n    -> { \"execute\": \"stop\" }"},
	} {
		if d := cmp.Diff(tc.want, testConverter.taggedSection(tc.tag, tc.in)); d != "" {
			t.Errorf("taggedSection(%q, %q) (-want +got):\n%s", tc.tag, tc.in, d)
		}
	}
}

func TestNoHeadings(t *testing.T) {
	for in, want := range map[string]string{
		"Intro.\n\nA heading like line\n\nText.": "Intro.\n\nA heading like line.\n\nText.",
		"Ends with a colon:":                     "Ends with a colon:",
		"lower case start":                       "lower case start",
		"Two lines\nof a paragraph":              "Two lines\nof a paragraph",
		"Has `code`":                             "Has `code`",
	} {
		if got := noHeadings(in); got != want {
			t.Errorf("noHeadings(%q) = %q, want %q", in, got, want)
		}
	}
}

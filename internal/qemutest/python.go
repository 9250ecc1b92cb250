package qemutest

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// PythonEnv names the environment variable that points at a QEMU source
// tree's python/ directory, the one holding QEMU's own QMP client
// (qemu.qmp: QMPClient and qmp-shell). .ci/run sets it.
const PythonEnv = "QEMU_PYTHON"

// QEMUPython returns the path of python3 and a PYTHONPATH under which it
// imports QEMU's own QMP client: $QEMU_PYTHON when set, else the python/
// directory of a QEMU 10.2 tree that the project's qemu-source tool
// unpacks (the tool is looked up in $QAPI_SHARED/tools, then in a
// shared/ directory beside the checkout or one of its parents). When
// neither is to be had it calls Unavailable.
//
// PyPI is not reachable where the project's CI runs, and Debian packages
// no qemu.qmp, so the client always comes from QEMU's source.
func QEMUPython(tb testing.TB) (python, path string) {
	tb.Helper()
	python, err := exec.LookPath("python3")
	if err != nil {
		Unavailable(tb, "python3 is not installed (Debian: apt-get install python3)")
		return "", ""
	}
	importable := func(dir string) bool {
		return exec.Command(python, "-c", "import sys; sys.path.insert(0, sys.argv[1]); import qemu.qmp", dir).Run() == nil
	}
	if dir := os.Getenv(PythonEnv); dir != "" {
		if !importable(dir) {
			Unavailable(tb, "%s=%s: python3 cannot import qemu.qmp from it", PythonEnv, dir)
		}
		return python, dir
	}
	tool := sharedTool("qemu-source")
	if tool == "" {
		Unavailable(tb, "QEMU's Python QMP client not found: set %s to a QEMU source tree's python/ directory, or QAPI_SHARED to the directory holding tools/qemu-source", PythonEnv)
		return "", ""
	}
	dest := filepath.Join(os.TempDir(), "qapi-go-qemu-src")
	out, err := exec.Command(tool, "10.2", dest).CombinedOutput()
	if err != nil {
		Unavailable(tb, "%s 10.2: %v\n%s", tool, err, out)
		return "", ""
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	dir := filepath.Join(strings.TrimSpace(lines[len(lines)-1]), "python")
	if !importable(dir) {
		tb.Fatalf("%s printed %q, whose python/ does not provide qemu.qmp", tool, lines[len(lines)-1])
	}
	return python, dir
}

// sharedTool returns the path of the project's shared tool name, or ""
// when none is found: $QAPI_SHARED/tools/name, else tools/name in a
// directory "shared" beside the working directory or any of its parents
// (a checkout's clone has shared/ beside it).
func sharedTool(name string) string {
	var dirs []string
	if d := os.Getenv("QAPI_SHARED"); d != "" {
		dirs = append(dirs, d)
	}
	if wd, err := os.Getwd(); err == nil {
		for d := wd; ; d = filepath.Dir(d) {
			dirs = append(dirs, filepath.Join(d, "shared"))
			if filepath.Dir(d) == d {
				break
			}
		}
	}
	for _, d := range dirs {
		p := filepath.Join(d, "tools", name)
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() {
			return p
		}
	}
	return ""
}

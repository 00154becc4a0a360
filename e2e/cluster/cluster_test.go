package cluster

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"testing"
)

// cluster is a throwaway PostgreSQL cluster owned by one test.
type cluster struct {
	t      *testing.T
	bin    string
	data   string
	dir    string
	port   int
	asUser []string // runuser prefix when the test runs as root
}

// newCluster initdb's and starts a cluster; it fails loudly without the binaries.
func newCluster(t *testing.T) *cluster {
	t.Helper()
	bins, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Strings(bins)
	var bin string
	for _, b := range bins {
		if _, err := os.Stat(filepath.Join(b, "pg_ctl")); err == nil {
			bin = b
		}
	}
	if bin == "" {
		t.Fatal("no /usr/lib/postgresql/*/bin/pg_ctl: install Debian's postgresql (scripts/test.sh does)")
	}
	dir, err := os.MkdirTemp("", "lockstep-outage-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	c := &cluster{t: t, bin: bin, dir: dir, data: filepath.Join(dir, "data"), port: freePort(t)}
	if os.Getuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			t.Fatalf("running as root needs the postgres user: %v", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			t.Fatal(err)
		}
		c.asUser = []string{"runuser", "-u", "postgres", "--"}
	}
	c.run("initdb", "-D", c.data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-instructions")
	c.start()
	t.Cleanup(func() { c.runQuiet("pg_ctl", "-D", c.data, "-m", "immediate", "stop") })
	return c
}

func (c *cluster) DSN() string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable&connect_timeout=2", c.port)
}

func (c *cluster) start() {
	c.run("pg_ctl", "-D", c.data, "-l", filepath.Join(c.dir, "server.log"), "-w", "-t", "60",
		"-o", fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1", c.port, c.dir), "start")
}

// stop is `pg_ctl stop -m fast`: sessions are ended, the server shuts down cleanly.
func (c *cluster) stop() { c.run("pg_ctl", "-D", c.data, "-m", "fast", "-w", "stop") }

func (c *cluster) cmd(name string, args ...string) *exec.Cmd {
	argv := append(append([]string{}, c.asUser...), filepath.Join(c.bin, name))
	argv = append(argv, args...)
	return exec.Command(argv[0], argv[1:]...)
}

func (c *cluster) run(name string, args ...string) {
	c.t.Helper()
	if out, err := c.cmd(name, args...).CombinedOutput(); err != nil {
		log, _ := os.ReadFile(filepath.Join(c.dir, "server.log"))
		c.t.Fatalf("%s %v: %v\n%s\n%s", name, args, err, out, log)
	}
}

func (c *cluster) runQuiet(name string, args ...string) { _ = c.cmd(name, args...).Run() }

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}
